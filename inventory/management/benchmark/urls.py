"""The benchmark server's URLs: the project's, plus the floor views (floor_views.py)."""

from django.urls import path

from inventory.management.benchmark.floor_views import bare_relative
from inventory_project.urls import handler404
from inventory_project.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("benchmark/bare-relative", bare_relative),
    *project_urlpatterns,
]

__all__ = ["handler404", "urlpatterns"]
