"""Counting with no connection, the server's side: the service worker's script (what it keeps,
and a version that follows the files), the offline shell (signed in, no data), the manifest,
and the count page's fragments with the last counted item (`?last=`)."""

import json
import re
import struct

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import override_settings
from django.urls import reverse

from inventory.stocktakes import services as stocktakes
from inventory.stocktakes.views.offline import PRECACHE, precached_files
from tests.factories import ItemFactory, UserFactory, set_stock, store_staff

pytestmark = pytest.mark.django_db


def worker(client):
    response = client.get(reverse("stocktakes:service_worker"))
    assert response.status_code == 200
    return response


def precache_of(response) -> list[str]:
    found = re.search(r"var PRECACHE = (\[.*?\]);", response.content.decode())
    return json.loads(found.group(1))


def version_of(response) -> str:
    return re.search(r'var VERSION = "(\w+)";', response.content.decode()).group(1)


@pytest.fixture
def staff(client, location):
    client.force_login(store_staff(location))
    return client


@pytest.fixture
def count(location):
    return stocktakes.start_stocktake(location=location, actor=store_staff(location))


def test_the_worker_is_javascript_never_cached_and_lists_the_count_pages_files(client):
    response = worker(client)  # no sign-in needed: it holds static URLs only

    assert response["Content-Type"].startswith("application/javascript")
    assert response["Cache-Control"] == "no-cache"
    urls = precache_of(response)
    for name in PRECACHE:
        assert static(name) in urls
    assert len(urls) == len(set(urls))
    body = response.content.decode()
    assert json.dumps(reverse("stocktakes:offline")) in body
    assert re.search(r"[0-9a-f]{16}", version_of(response))


def test_every_static_file_the_count_page_links_is_kept(staff, count):
    page = staff.get(reverse("stocktakes:count", args=[count.pk])).content.decode()
    linked = set(re.findall(r'"(/static/[^"]+)"', page))
    assert static("stocktakes/queue.js") in linked

    kept = set(precache_of(worker(staff)))

    assert linked <= kept, f"not kept for offline use: {sorted(linked - kept)}"


def test_the_shell_links_only_kept_files_too(staff):
    page = staff.get(reverse("stocktakes:offline")).content.decode()
    linked = set(re.findall(r'"(/static/[^"]+)"', page))

    assert linked <= set(precache_of(worker(staff)))


def test_the_version_follows_the_files_contents(client, tmp_path):
    folder = tmp_path / "scanning"
    folder.mkdir()
    added = folder / "offline-test.js"
    added.write_text("// one\n")
    with override_settings(STATICFILES_DIRS=[tmp_path]):
        first = worker(client)
        assert static("scanning/offline-test.js") in precache_of(first)  # the camera's folder
        assert version_of(worker(client)) == version_of(first)  # nothing changed

        added.write_text("// two\n")
        changed = worker(client)

    assert version_of(changed) != version_of(first)


def test_the_version_changes_without_the_added_file(client, tmp_path):
    (tmp_path / "scanning").mkdir()
    (tmp_path / "scanning" / "offline-test.js").write_text("// one\n")
    with override_settings(STATICFILES_DIRS=[tmp_path]):
        with_file = version_of(worker(client))
        assert "scanning/offline-test.js" in precached_files()
    without = version_of(worker(client))

    assert with_file != without
    assert "scanning/offline-test.js" not in precached_files()


def test_the_shell_needs_a_sign_in(client):
    response = client.get(reverse("stocktakes:offline"))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_the_shell_needs_the_stocktake_permission(client):
    client.force_login(UserFactory(is_staff=True))

    assert client.get(reverse("stocktakes:offline")).status_code == 403


def test_the_shell_shows_no_data(staff, location, count):
    item = ItemFactory(sku="SHELL-SKU-1", name="Shell test mug")
    set_stock(item, location, 4)
    stocktakes.count_item(stocktake=count, code=item.sku, add=1, actor=count.created_by)

    response = staff.get(reverse("stocktakes:offline"))

    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "You are offline. Scans are saved on this phone and sent when the connection is back"
        in page
    )
    assert 'id="scan-form"' in page
    assert 'id="scan-banner"' in page
    for data in ("SHELL-SKU-1", "Shell test mug", location.label, f"#{count.pk}"):
        assert data not in page


def test_the_shell_leaves_the_sign_in_cookies_alone(staff, count):
    # The worker fetches the shell in the background after each visit: a CSRF cookie set by
    # that answer could land after a sign-in in another tab and undo the sign-in's new one.
    staff.get(reverse("stocktakes:count", args=[count.pk]))

    response = staff.get(reverse("stocktakes:offline"))

    assert response.status_code == 200
    assert dict(response.cookies) == {}
    assert "csrfmiddlewaretoken" not in response.content.decode()


def test_the_manifest_makes_the_count_pages_installable():
    with open(finders.find("stocktakes/manifest.webmanifest")) as file:
        manifest = json.load(file)

    assert manifest["start_url"] == reverse("stocktakes:list")
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#417690"
    sizes = set()
    for icon in manifest["icons"]:
        with open(finders.find(f"stocktakes/{icon['src']}"), "rb") as file:
            head = file.read(24)
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", head[16:24])
        assert icon["sizes"] == f"{width}x{height}"
        sizes.add(width)
    assert sizes == {192, 512}


def test_the_count_page_links_the_manifest_and_shows_the_banner(staff, count):
    page = staff.get(reverse("stocktakes:count", args=[count.pk])).content.decode()

    assert f'rel="manifest" href="{static("stocktakes/manifest.webmanifest")}"' in page
    assert 'id="scan-banner"' in page
    assert f'data-sw="{reverse("stocktakes:service_worker")}"' in page
    assert f'data-scans-url="{reverse("stocktakes:scans", args=[count.pk])}"' in page


def test_the_fragments_come_with_the_last_counted_item_when_asked(staff, location, count):
    item = ItemFactory(sku="LAST-1", name="Last counted", barcode="4006381333931")
    set_stock(item, location, 2)
    stocktakes.count_item(stocktake=count, code=item.sku, add=1, actor=count.created_by)
    scan_url = reverse("stocktakes:scan", args=[count.pk])

    plain = staff.get(scan_url).json()
    asked = staff.get(scan_url, {"last": item.pk}).json()
    unknown = staff.get(scan_url, {"last": "²"}).json()

    assert "last_html" not in plain
    assert "LAST-1" in asked["last_html"]
    assert 'data-sku="LAST-1"' in asked["lines_html"]
    assert 'data-barcode="4006381333931"' in asked["lines_html"]
    assert "last_html" not in unknown
