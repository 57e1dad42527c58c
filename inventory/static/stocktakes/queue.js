/* The device's queue of scans, for counting with a connection that comes and goes.
   Each scan gets an id made here (a UUID) and the device's time, and is written to IndexedDB
   before anything is sent: a reload, a closed tab or a phone asleep loses nothing. A sender
   then delivers the waiting scans in order, in batches, to POST /stocktakes/<pk>/scans/; the
   server counts each id at most once, so a batch sent again after a lost answer counts
   nothing twice. A scan leaves the device only once the server has answered for its id.
   Used by count.js (the count page and its offline shell); exposes window.StockroomQueue. */
(function () {
  "use strict";

  var DB_NAME = "stockroom-counting";
  var SCANS = "scans"; // {id, stocktake, code, at, quantity, seq, refused?}
  var COUNTS = "counts"; // what the count page says of itself, for its offline shell
  var MAX_BATCH = 500; // the server's MAX_BATCH
  var MAX_WAIT_MS = 30000; // between tries while the server cannot be reached
  var ANSWER_WITHIN_MS = 30000;

  // --- ids and order -----------------------------------------------------------------------
  // crypto.randomUUID exists only in secure contexts; a shop's LAN host on plain HTTP still
  // has getRandomValues, from which a version 4 UUID is made by hand.
  function uuid4() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }
  // Ids are random, so the order of scans is kept in `seq`: the time in microseconds, and
  // always more than the last one this page made (two scans within a millisecond).
  var lastSeq = 0;
  function nextSeq() {
    lastSeq = Math.max(Date.now() * 1000, lastSeq + 1);
    return lastSeq;
  }
  function bySeq(a, b) { return a.seq - b.seq; }

  // --- storage: IndexedDB, or this page's memory where IndexedDB cannot be opened ----------
  function done(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }
  function committed(transaction) {
    return new Promise(function (resolve, reject) {
      transaction.oncomplete = function () { resolve(); };
      transaction.onerror = transaction.onabort = function () { reject(transaction.error); };
    });
  }

  function DeviceStore(db) { this.db = db; this.lasting = true; }
  DeviceStore.prototype.add = function (scan) {
    var transaction = this.db.transaction(SCANS, "readwrite");
    transaction.objectStore(SCANS).add(scan);
    return committed(transaction);
  };
  DeviceStore.prototype.list = function (stocktake) {
    var transaction = this.db.transaction(SCANS, "readonly");
    var index = transaction.objectStore(SCANS).index("stocktake");
    return done(stocktake == null ? transaction.objectStore(SCANS).getAll() : index.getAll(stocktake))
      .then(function (scans) { return scans.sort(bySeq); });
  };
  DeviceStore.prototype.remove = function (ids) {
    var transaction = this.db.transaction(SCANS, "readwrite");
    var store = transaction.objectStore(SCANS);
    ids.forEach(function (id) { store.delete(id); });
    return committed(transaction);
  };
  DeviceStore.prototype.put = function (scans) {
    var transaction = this.db.transaction(SCANS, "readwrite");
    var store = transaction.objectStore(SCANS);
    scans.forEach(function (scan) { store.put(scan); });
    return committed(transaction);
  };
  DeviceStore.prototype.saveCount = function (count) {
    var transaction = this.db.transaction(COUNTS, "readwrite");
    transaction.objectStore(COUNTS).put(count);
    return committed(transaction);
  };
  DeviceStore.prototype.count = function (stocktake) {
    return done(this.db.transaction(COUNTS, "readonly").objectStore(COUNTS).get(stocktake));
  };
  DeviceStore.prototype.counts = function () {
    return done(this.db.transaction(COUNTS, "readonly").objectStore(COUNTS).getAll());
  };

  function MemoryStore() { this.scans = {}; this.known = {}; this.lasting = false; }
  MemoryStore.prototype.add = function (scan) {
    if (this.scans[scan.id]) return Promise.reject(new Error("known id"));
    this.scans[scan.id] = scan;
    return Promise.resolve();
  };
  MemoryStore.prototype.list = function (stocktake) {
    var scans = this.scans;
    return Promise.resolve(Object.keys(scans).map(function (id) { return scans[id]; })
      .filter(function (scan) { return stocktake == null || scan.stocktake === stocktake; }).sort(bySeq));
  };
  MemoryStore.prototype.remove = function (ids) {
    var scans = this.scans;
    ids.forEach(function (id) { delete scans[id]; });
    return Promise.resolve();
  };
  MemoryStore.prototype.put = function (list) {
    var scans = this.scans;
    list.forEach(function (scan) { scans[scan.id] = scan; });
    return Promise.resolve();
  };
  MemoryStore.prototype.saveCount = function (count) { this.known[count.stocktake] = count; return Promise.resolve(); };
  MemoryStore.prototype.count = function (stocktake) { return Promise.resolve(this.known[stocktake]); };
  MemoryStore.prototype.counts = function () {
    var known = this.known;
    return Promise.resolve(Object.keys(known).map(function (key) { return known[key]; }));
  };

  var opened = null;
  function open() {
    if (opened) return opened;
    opened = new Promise(function (resolve) {
      var request;
      try {
        request = window.indexedDB.open(DB_NAME, 1);
      } catch (error) {
        resolve(new MemoryStore());
        return;
      }
      request.onupgradeneeded = function () {
        var db = request.result;
        db.createObjectStore(SCANS, { keyPath: "id" }).createIndex("stocktake", "stocktake");
        db.createObjectStore(COUNTS, { keyPath: "stocktake" });
      };
      request.onsuccess = function () { resolve(new DeviceStore(request.result)); };
      // Private windows of some browsers, or storage turned off: scans still go out, but a
      // reload loses the ones waiting, and the banner says so.
      request.onerror = request.onblocked = function () { resolve(new MemoryStore()); };
    });
    return opened;
  }

  // --- the CSRF token ----------------------------------------------------------------------
  // The cookie first: it follows a sign-in made in another tab, where the token in a page
  // (or in the offline shell, cached earlier) may be an older one.
  function csrfToken(fallback) {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = fallback || document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // --- the sender ----------------------------------------------------------------------------
  /* One per count on a page. `flush()` sends every waiting scan, batch after batch, never two
     batches at once; it resolves true once nothing is waiting, false when it had to stop
     (offline, no answer, signed out). `onBatch(answer, batch)` runs after the server answered
     for a batch (its scans are gone from the device by then); `onState(state)` after anything
     changed: {phase, waiting: [scans], refused: [scans], why}. */
  function Sender(options) {
    this.store = options.store;
    this.stocktake = options.stocktake;
    this.url = options.url;
    this.onBatch = options.onBatch || function () {};
    this.onState = options.onState || function () {};
    this.phase = "idle";
    this.why = "";
    this.failures = 0;
    this.timer = null;
    this.running = null;
  }
  Sender.prototype.flush = function () {
    var sender = this;
    if (this.running) {
      // A scan added while the last list was being read: one more round once this one ends.
      this.again = true;
      return this.running;
    }
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    this.again = false;
    this.running = this.loop().then(function (emptied) {
      sender.running = null;
      if (emptied && sender.again) return sender.flush();
      return emptied;
    }, function (error) {
      sender.running = null;
      sender.set("retrying", "");
      sender.later();
      if (window.console) console.error(error);
      return false;
    });
    return this.running;
  };
  // Now, whatever the wait: the connection is back, or the page is shown again.
  Sender.prototype.now = function () {
    this.failures = 0;
    return this.flush();
  };
  Sender.prototype.waiting = function () {
    return !!this.timer;
  };
  Sender.prototype.later = function () {
    var sender = this;
    this.failures += 1;
    var wait = Math.min(MAX_WAIT_MS, 1000 * Math.pow(2, this.failures - 1));
    wait = wait * (0.75 + Math.random() * 0.5); // phones coming back together do not all knock at once
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(function () { sender.timer = null; sender.flush(); }, wait);
  };
  Sender.prototype.set = function (phase, why) {
    this.phase = phase;
    this.why = why || "";
    return this.report();
  };
  Sender.prototype.report = function () {
    var sender = this;
    return this.store.list(this.stocktake).then(function (scans) {
      var state = {
        phase: sender.phase,
        why: sender.why,
        waiting: scans.filter(function (scan) { return !scan.refused; }),
        refused: scans.filter(function (scan) { return scan.refused; }),
      };
      sender.onState(state);
      return state;
    });
  };
  Sender.prototype.loop = function () {
    var sender = this;
    return this.report().then(function (state) {
      if (!state.waiting.length) {
        sender.failures = 0;
        return sender.set("idle").then(function () { return true; });
      }
      var batch = state.waiting.slice(0, MAX_BATCH);
      return sender.set("sending").then(function () { return sender.send(batch); }).then(function (goOn) {
        return goOn ? sender.loop() : false;
      });
    });
  };
  Sender.prototype.send = function (batch) {
    var sender = this;
    var body = JSON.stringify({
      scans: batch.map(function (scan) {
        return { id: scan.id, code: scan.code, at: scan.at, quantity: scan.quantity };
      }),
    });
    // A connection that takes but never answers (one bar of signal) must not hold the queue.
    var controller = window.AbortController ? new AbortController() : null;
    var timeout = controller && setTimeout(function () { controller.abort(); }, ANSWER_WITHIN_MS);
    return fetch(this.url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      cache: "no-store",
      signal: controller ? controller.signal : undefined,
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken(),
        "X-Requested-With": "fetch",
      },
    }).then(function (response) {
      clearTimeout(timeout);
      return response.json().catch(function () { return null; }).then(function (answer) {
        return sender.answered(batch, response, answer);
      });
    }, function () {
      clearTimeout(timeout);
      // No answer: the batch may or may not have been counted. Sent again, the server counts
      // only the ids it has not seen.
      sender.set(navigator.onLine === false ? "offline" : "retrying");
      sender.later();
      return false;
    });
  };
  Sender.prototype.answered = function (batch, response, answer) {
    var sender = this;
    if (response.ok && answer && answer.ok && Array.isArray(answer.results)) {
      this.failures = 0;
      var ids = answer.results.map(function (result) { return result.id; });
      return this.store.remove(ids).then(function () {
        return sender.onBatch(answer, batch);
      }).then(function () { return true; });
    }
    if (response.status >= 500 || response.status === 429) {
      this.set("retrying");
      this.later();
      return false;
    }
    // A login page (followed redirect), or the CSRF check or permission refused: only signing
    // in again helps, and the scans stay until then.
    if (response.redirected || response.status === 401 || response.status === 403 || !answer) {
      this.set("signin");
      return false;
    }
    return this.refuse(batch, response.status, answer).then(function () { return true; });
  };
  // A batch refused as it is (422 and the like) would be refused again: its scans are kept,
  // set aside with the reason, and shown; the other scans go on.
  Sender.prototype.refuse = function (batch, status, answer) {
    var reasons = {};
    var general = status === 404
      ? "this count is no longer open to you."
      : (answer && answer.message) || "the server refused them (" + status + ").";
    var errors = (answer && answer.errors) || {};
    Object.keys(errors).forEach(function (key) {
      var match = key.match(/^scans\.(\d+)(?:\.(\w+))?$/);
      if (match && batch[+match[1]]) reasons[+match[1]] = errors[key];
    });
    var named = Object.keys(reasons).length > 0;
    var refused = [];
    batch.forEach(function (scan, n) {
      if (named && !(n in reasons)) return;
      refused.push(Object.assign({}, scan, { refused: named ? reasons[n] : general }));
    });
    return this.store.put(refused);
  };
  // Refused scans, sent again when someone asks to (after the count is open again, say).
  Sender.prototype.retryRefused = function () {
    var sender = this;
    return this.store.list(this.stocktake).then(function (scans) {
      var again = scans.filter(function (scan) { return scan.refused; }).map(function (scan) {
        var copy = Object.assign({}, scan);
        delete copy.refused;
        return copy;
      });
      return sender.store.put(again);
    }).then(function () { return sender.now(); });
  };
  Sender.prototype.discardRefused = function () {
    var sender = this;
    return this.store.list(this.stocktake).then(function (scans) {
      return sender.store.remove(scans.filter(function (scan) { return scan.refused; })
        .map(function (scan) { return scan.id; }));
    }).then(function () { return sender.report(); });
  };

  function scan(stocktake, code, quantity) {
    return {
      id: uuid4(),
      stocktake: stocktake,
      code: code,
      at: new Date().toISOString(),
      quantity: quantity || 1,
      seq: nextSeq(),
    };
  }

  window.StockroomQueue = {
    open: open,
    scan: scan,
    uuid4: uuid4,
    csrfToken: csrfToken,
    Sender: Sender,
    MAX_BATCH: MAX_BATCH,
  };
})();
