{% autoescape off %}/* Stockroom's service worker for counting with no connection (served by
   inventory/stocktakes/views/offline.py at /stocktakes/sw.js, so its scope is /stocktakes/).
   - The count page's static files are kept in a cache made at install, and served from it.
   - A count page (or the list of counts) is loaded from the network; only when that fails is
     the offline shell shown in its place: the shell says it is offline and shows no data.
   - Nothing else is touched: data pages, fetches and posts go to the network as if there were
     no worker, so nothing stale is ever shown as current.
   The version is a digest of the cached files: a changed file makes a new worker, which
   replaces the old one and its cache. */
"use strict";

var VERSION = "{{ version }}";
var CACHE = "stockroom-count-" + VERSION;
var PRECACHE = {{ precache }};
var SHELL = {{ shell }};
var PAGES = new RegExp({{ pages }});
var CACHED = new Set(PRECACHE);

// The shell as the signed-in user sees it. A login page (the session ended) or an error is not
// kept: the previous shell, if any, stays.
function keepShell(cache) {
  return fetch(SHELL, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
    if (!response.ok || response.redirected) throw new Error("offline shell not available");
    return cache.put(SHELL, response);
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return Promise.all([cache.addAll(PRECACHE), keepShell(cache)]);
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("stockroom-count-") === 0 && name !== CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function page(event) {
  return fetch(event.request).then(function (response) {
    // Each visit renews the shell, so it names whoever is signed in now.
    if (response.ok) {
      event.waitUntil(caches.open(CACHE).then(keepShell).catch(function () {}));
    }
    return response;
  }, function () {
    return caches.open(CACHE).then(function (cache) { return cache.match(SHELL); }).then(function (shell) {
      return shell || Response.error();
    });
  });
}

function cached(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request, { ignoreSearch: true }).then(function (found) {
      return found || fetch(request);
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && PAGES.test(url.pathname)) {
    event.respondWith(page(event));
  } else if (CACHED.has(url.pathname)) {
    event.respondWith(cached(request));
  }
});
{% endautoescape %}
