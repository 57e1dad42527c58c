"""Counting with no connection: the service worker (at /stocktakes/sw.js, so that its scope is
every stocktake page) and the offline shell it serves when a count page cannot be reached.

The worker keeps the count page's static files and the shell in the browser's cache, and serves
the shell in place of a count page (or the list) only when the network fails. Every other
request goes to the network as if there were no worker: nothing stale is shown as current.
"""

import fnmatch
import hashlib
import json
import re

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

from inventory.stocktakes.forms import ScanForm
from inventory.stocktakes.views.common import page, stocktake_page

# The count page's static files, as templates/stocktakes/base.html and count.html (and the
# admin's base.html under them) link them; tests/stocktakes/test_offline_views.py checks that
# every file the count page links is here.
PRECACHE = (
    "admin/css/base.css",
    "admin/css/dark_mode.css",
    "admin/js/theme.js",
    "admin/css/nav_sidebar.css",
    "admin/js/nav_sidebar.js",
    "admin/css/responsive.css",
    "inventory/admin_lists.css",
    "stocktakes/count.css",
    "stocktakes/queue.js",
    "stocktakes/count.js",
    "stocktakes/manifest.webmanifest",
    "stocktakes/icon-192.png",
    "stocktakes/icon-512.png",
)
# Files that come and go with a feature: every static file matching one is cached too (the
# camera's script and style, and the decoder it loads on browsers without BarcodeDetector).
PRECACHE_GLOBS = (
    "scanning/*",
    "vendor/zxing-library-*/*.js",
)
# The templates the shell and the worker are made of: a change to one is a new worker too.
TEMPLATES = (
    "stocktakes/sw.js",
    "stocktakes/offline.html",
    "stocktakes/_banner.html",
    "stocktakes/_scan_fields.html",
    "stocktakes/base.html",
    "scanning/_camera.html",
)
CAMERA_TEMPLATE = "scanning/_camera.html"


def precached_files() -> list[str]:
    """The static files (their names before any hashing) the worker keeps, in a fixed order."""
    listed: set[str] = set()
    for finder in finders.get_finders():
        for path, _ in finder.list([]):
            name = path.replace("\\", "/")
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in PRECACHE_GLOBS):
                listed.add(name)
    return [*PRECACHE, *sorted(listed - set(PRECACHE))]


def version(files: list[str]) -> str:
    """A digest of the precached files' and the shell's contents: when one changes, the worker's
    script changes, and the browser installs it in place of the old one."""
    digest = hashlib.sha256()
    for name in files:
        found = finders.find(name)
        digest.update(name.encode())
        if found:
            with open(found, "rb") as file:
                digest.update(hashlib.sha256(file.read()).digest())
    for name in TEMPLATES:
        digest.update(name.encode())
        try:
            digest.update(get_template(name).template.source.encode())
        except TemplateDoesNotExist:
            continue
    return digest.hexdigest()[:16]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The worker's script. Public: it holds nothing but static URLs. Revalidated on every
    update check (no-cache), so a deploy reaches phones on their next visit."""
    files = precached_files()
    context = {
        "version": version(files),
        "precache": json.dumps([static(name) for name in files]),
        "shell": json.dumps(reverse("stocktakes:offline")),
        # The pages whose shell it is: the list, and each count ("/stocktakes/<pk>/").
        "pages": json.dumps("^" + re.escape(reverse("stocktakes:list")) + r"(\d+/)?$"),
    }
    response = HttpResponse(
        render_to_string("stocktakes/sw.js", context),
        content_type="application/javascript; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache"
    return response


@stocktake_page()
def offline(request: HttpRequest) -> HttpResponse:
    """The count page's shell: its scan form, banner and queue, and no data. The worker keeps a
    copy and shows it when a count page cannot be loaded; the page itself reads which count it
    stands for from its address and what the real page stored on the device."""
    try:
        get_template(CAMERA_TEMPLATE)
        camera = CAMERA_TEMPLATE
    except TemplateDoesNotExist:
        camera = None
    return page(
        request,
        "offline.html",
        "Counting offline",
        scan_form=ScanForm(),
        camera_template=camera,
        count_url_zero=reverse("stocktakes:count", args=[0]),
        scan_url_zero=reverse("stocktakes:scan", args=[0]),
        scans_url_zero=reverse("stocktakes:scans", args=[0]),
    )
