"""The names people read for Django's and django-axes' apps (the admin's menu and breadcrumbs
use an app's verbose name), and the back office's admin site as Django's default one."""

from axes.apps import AppConfig as AxesConfig
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.apps import AuthConfig


class BackOfficeAdminConfig(AdminConfig):
    default_site = "inventory_project.admin_site.BackOfficeSite"


class PeopleAndAccessConfig(AuthConfig):
    verbose_name = "People and access"


class SignInsConfig(AxesConfig):
    verbose_name = "Sign-ins"
