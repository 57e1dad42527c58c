"""CSV exports under /exports/, behind the admin's login (staff users, as the admin pages)."""

from django.contrib import admin
from django.urls import path

from inventory.reports import export_views as views

app_name = "exports"

urlpatterns = [
    path("balances.csv", admin.site.admin_view(views.balances_csv), name="balances"),
]
