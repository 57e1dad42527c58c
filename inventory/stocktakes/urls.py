"""The stocktake pages, under /stocktakes/."""

from django.urls import path

from inventory.stocktakes import views

app_name = "stocktakes"

urlpatterns = [
    path("", views.stocktake_list, name="list"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("offline/", views.offline, name="offline"),
    path("<int:pk>/", views.count, name="count"),
    path("<int:pk>/scan/", views.scan, name="scan"),
    path("<int:pk>/scans/", views.scans, name="scans"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/apply/", views.apply, name="apply"),
    path("<int:pk>/send-back/", views.send_back, name="send_back"),
    path("<int:pk>/late-scans/", views.late, name="late"),
    path("<int:pk>/apply-rest/", views.apply_rest, name="apply_rest"),
    path("<int:pk>/sheet/", views.sheet, name="sheet"),
    path("<int:pk>/upload/", views.upload, name="upload"),
]
