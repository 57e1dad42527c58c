"""The page a login locked out by django-axes answers with (AXES_LOCKOUT_CALLABLE): the admin's
look, and in plain words why, for how long, and who can lift it; status 429."""

from axes.helpers import get_client_username
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    context = {
        **admin.site.each_context(request),
        "title": "Too many wrong passwords",
        "username": get_client_username(request, credentials) or "",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": round(settings.AXES_COOLOFF_TIME.total_seconds() / 60),
    }
    return render(request, "admin/locked_out.html", context, status=429)
