"""The transfer and supplier receipt pages, under /transfers/ and /receipts/."""

from django.urls import path

from inventory.movements.views import receipts, receiving, transfers

app_name = "movements"

urlpatterns = [
    path("transfers/", transfers.transfer_list, name="transfer_list"),
    path("transfers/new/", transfers.transfer_create, name="transfer_create"),
    path("transfers/<int:pk>/", transfers.transfer_detail, name="transfer"),
    path("transfers/<int:pk>/ship/", transfers.transfer_ship, name="transfer_ship"),
    path("transfers/<int:pk>/cancel/", transfers.transfer_cancel, name="transfer_cancel"),
    path("transfers/<int:pk>/close/", transfers.transfer_close, name="transfer_close"),
    path("transfers/<int:pk>/packing-list/", transfers.packing_list, name="transfer_packing_list"),
    path("transfers/<int:pk>/receive/", receiving.receive_transfer, name="transfer_receive"),
    path("receipts/", receipts.receipt_list, name="receipt_list"),
    path("receipts/new/", receipts.receipt_create, name="receipt_create"),
    path("receipts/<int:pk>/", receipts.receipt_detail, name="receipt"),
    path("receipts/<int:pk>/close/", receipts.receipt_close, name="receipt_close"),
    path("receipts/<int:pk>/receive/", receiving.receive_receipt, name="receipt_receive"),
]
