from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "Stockroom"
admin.site.site_title = "Stockroom"
admin.site.index_title = "Back office"
# Stock tables are wide; the page needs the room more than a second menu.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
]
