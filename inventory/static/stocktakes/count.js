/* Stocktake pages, progressive enhancement. Every page works without this file: forms post and
   the server redirects back. With it:
   - the count page keeps each scan on the device first (stocktakes/queue.js: IndexedDB, an id
     and the time of the scan made here) and sends the waiting ones in batches whenever the
     server can be reached; a banner says at all times whether every scan is saved, and the
     page's totals show the waiting units. A short beep when a scan is saved on the device, a
     buzz for an error or a scan the server could not count (Web Audio, no sound files);
   - it registers the service worker (/stocktakes/sw.js) that opens this page's offline shell
     when there is no connection; the shell counts into the same queue;
   - write forms disable their buttons once submitted (the server also refuses a second
     submission of the same form);
   - the start form shows the item list only when counting some items. */
(function () {
  "use strict";

  // --- sound ------------------------------------------------------------------------------
  var audio = null;
  function audioContext() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    if (!audio) {
      try { audio = new Context(); } catch (e) { return null; }
    }
    if (audio.state === "suspended" && audio.resume) audio.resume();
    return audio;
  }
  function tone(frequency, seconds, type, volume) {
    var context = audioContext();
    if (!context) return;
    var oscillator = context.createOscillator();
    var gain = context.createGain();
    oscillator.type = type;
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(volume, context.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.0001, context.currentTime + seconds);
    oscillator.connect(gain);
    gain.connect(context.destination);
    oscillator.start();
    oscillator.stop(context.currentTime + seconds);
  }
  function beep() { tone(1320, 0.09, "sine", 0.25); }
  function buzz() {
    tone(150, 0.35, "square", 0.18);
    setTimeout(function () { tone(120, 0.25, "square", 0.18); }, 120);
  }
  // Browsers only start audio after a user gesture: a key press from the scanner counts.
  ["keydown", "pointerdown"].forEach(function (name) {
    document.addEventListener(name, function () { audioContext(); }, { once: true, capture: true });
  });

  // --- forms that must be sent once ---------------------------------------------------------
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-once]") || event.defaultPrevented) return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    // After this tick, so the clicked button's name and value still go with the form.
    setTimeout(function () {
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (button) {
        button.disabled = true;
        button.dataset.label = button.textContent;
        if (button.tagName === "BUTTON") button.textContent = "Working…";
      });
    }, 0);
  });
  // Back/forward cache: a page shown again must have its buttons back.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      delete form.dataset.sent;
      form.querySelectorAll("[disabled]").forEach(function (button) {
        button.disabled = false;
        if (button.dataset.label) button.textContent = button.dataset.label;
      });
    });
  });

  // --- print button -------------------------------------------------------------------------
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // --- start form: the item list only for "some items" --------------------------------------
  var startForm = document.getElementById("start-form");
  if (startForm) {
    var codes = document.getElementById("codes-field");
    var zero = document.getElementById("zero-field");
    var zeroBox = zero && zero.querySelector("input[type=checkbox]");
    var syncScope = function () {
      var chosen = startForm.querySelector("input[name=scope]:checked");
      var subset = chosen && chosen.value === "subset";
      if (codes) codes.hidden = !subset;
      if (zeroBox) {
        zeroBox.disabled = subset;
        if (subset) zeroBox.checked = false;
        zero.classList.toggle("st-disabled", subset);
      }
    };
    startForm.addEventListener("change", syncScope);
    syncScope();
  }

  // --- review: how many items are ticked, and their buttons in reach -----------------------
  var chosenForm = document.getElementById("chosen-form");
  if (chosenForm) {
    var chosenCount = chosenForm.querySelector("[data-chosen-count]");
    var syncChosen = function () {
      var ticked = chosenForm.querySelectorAll("input[name=lines]:checked").length;
      chosenCount.hidden = false;
      chosenCount.textContent = ticked === 0
        ? "Tick the items first."
        : ticked === 1 ? "1 item ticked:" : ticked + " items ticked:";
      chosenForm.classList.toggle("st-has-chosen", ticked > 0);
    };
    chosenForm.addEventListener("change", syncChosen);
    syncChosen();
  }

  // --- count page, and its offline shell ----------------------------------------------------
  var Queue = window.StockroomQueue;
  var banner = document.getElementById("scan-banner");
  // Installable, and the count page opens with no signal: only in secure contexts (HTTPS,
  // localhost), where browsers allow service workers. Elsewhere the queue still keeps scans.
  if (banner && "serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register(banner.dataset.sw).catch(function () {});
  }
  if (!window.fetch || !window.FormData || !Queue) return;
  var shell = document.querySelector("[data-shell]");
  var scanForm = document.getElementById("scan-form");
  if (shell) {
    startShell();
  } else if (scanForm && scanForm.dataset.stocktake) {
    startCounting({
      stocktake: Number(scanForm.dataset.stocktake),
      title: scanForm.dataset.title,
      place: scanForm.dataset.place,
      countUrl: scanForm.getAttribute("action"),
      scanUrl: scanForm.dataset.scanUrl,
      scansUrl: scanForm.dataset.scansUrl,
    }, false);
  } else {
    sendLeftovers();
  }

  function noop() {}
  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }
  function scansWord(n) { return plural(n, "scan", "scans"); }
  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }
  // "SHIRT × 12, MUG × 18": what is waiting, by code, in the order scanned.
  function byCode(scans) {
    var counts = {};
    var order = [];
    scans.forEach(function (scan) {
      if (!(scan.code in counts)) { counts[scan.code] = 0; order.push(scan.code); }
      counts[scan.code] += scan.quantity;
    });
    return { counts: counts, order: order };
  }
  function summary(scans) {
    var codes = byCode(scans);
    var shown = codes.order.slice(0, 6).map(function (code) { return code + " × " + codes.counts[code]; });
    var more = codes.order.length - shown.length;
    return shown.join(", ") + (more > 0 ? ", and " + plural(more, "other code", "other codes") : "");
  }

  /* The count page (inShell false) or the shell standing in for it. Scans go to the device's
     queue and from there to the server; the page shows what is waiting at all times. */
  function startCounting(count, inShell) {
    var codeInput = scanForm.querySelector("input[name=code]");
    var errorBox = document.getElementById("scan-error");
    var lastBox = document.getElementById("last-scanned");
    var fragments = {
      lines_html: document.getElementById("counted-lines"),
      unknown_html: document.getElementById("unknown-codes"),
      progress_html: document.getElementById("progress"),
      not_counted_html: document.getElementById("not-counted"),
      recount_html: document.getElementById("recount-box"),
    };
    var view = { phase: "idle", waiting: [], refused: [], why: "", loaded: false };
    var late = { closed: 0, recount: 0, status: "" };
    var busy = false; // setting a count or undoing one: online, one at a time
    var store = null;
    var sender = null;
    var ready = Queue.open().then(function (opened) {
      store = opened;
      sender = new Queue.Sender({
        store: store, stocktake: count.stocktake, url: count.scansUrl, onBatch: onBatch, onState: onState,
      });
      // For the shell: which count this is, should this page be opened with no connection.
      if (!inShell) store.saveCount(Object.assign({ seen: new Date().toISOString() }, count)).catch(noop);
      return store;
    });

    function clearError() {
      errorBox.textContent = "";
      lastBox.classList.remove("st-stale");
    }
    function showError(message) {
      errorBox.textContent = message;
      lastBox.classList.add("st-stale"); // what it shows was not this scan
      buzz();
    }

    // --- the banner ---
    function onState(state) {
      view = { phase: state.phase, waiting: state.waiting, refused: state.refused, why: state.why, loaded: true };
      renderBanner();
      markRows();
    }
    function part(name) { return banner.querySelector("[data-banner-" + name + "]"); }
    function renderBanner() {
      var waiting = view.waiting.length;
      var text = part("text");
      var detail = part("detail");
      var login = part("login");
      var tone = "ok";
      var offline = view.phase === "offline" || navigator.onLine === false;
      if (!waiting) {
        text.textContent = "All scans saved";
      } else if (view.phase === "signin") {
        text.textContent = "Sign in again to send " + plural(waiting, "waiting scan", "waiting scans");
        tone = "problem";
      } else if (offline) {
        text.textContent = scansWord(waiting) + " waiting — you are offline";
        tone = "waiting";
      } else if (view.phase === "retrying") {
        text.textContent = scansWord(waiting) + " waiting — no answer from the server yet, trying again";
        tone = "waiting";
      } else {
        text.textContent = scansWord(waiting) + " waiting — sending…";
        tone = "waiting";
      }
      var notes = [];
      if (waiting) notes.push("Saved on this device: " + summary(view.waiting) + ".");
      if (waiting && offline) notes.push("They are sent when the connection is back.");
      if (store && !store.lasting) {
        notes.push("This browser cannot keep scans on the device: keep this page open until they are sent.");
      }
      if (view.refused.length) {
        notes.push(scansWord(view.refused.length) + " could not be sent: " + view.refused[0].refused
          + " (" + summary(view.refused) + ")");
        tone = "problem";
      }
      detail.textContent = notes.join(" ");
      detail.hidden = !notes.length;
      login.hidden = !(waiting && view.phase === "signin");
      login.href = banner.dataset.login + "?next=" + encodeURIComponent(count.countUrl);
      part("retry").hidden = !view.refused.length;
      part("discard").hidden = !view.refused.length;
      part("actions").hidden = login.hidden && !view.refused.length;
      if (late.closed + late.recount) tone = "problem";
      banner.dataset.tone = tone;
      banner.hidden = false;
    }
    function renderLate() {
      var box = part("late");
      var sentences = [];
      if (late.closed) {
        var what = { submitted: "submitted", cancelled: "cancelled", applied: "applied" }[late.status] || "closed";
        sentences.push(plural(late.closed, "scan arrived", "scans arrived") + " after this count was " + what
          + (what === "submitted"
            ? " — a manager sees them on the review."
            : ": they were kept, and counted nothing."));
      }
      if (late.recount) {
        sentences.push(plural(late.recount, "scan was", "scans were") + " made before a manager sent "
          + "their items back for a recount: not counted. Count those items again from zero.");
      }
      box.textContent = sentences.join(" ");
      if (late.closed) {
        var link = element("a", "", "Open the count");
        link.href = count.countUrl;
        box.appendChild(document.createTextNode(" "));
        box.appendChild(link);
      }
      box.hidden = !sentences.length;
      renderBanner();
    }
    // The count ended while this device held scans: what the page shows is no longer the
    // count, and scanning on would only add late scans.
    function stopCounting() {
      scanForm.querySelectorAll("input, button").forEach(function (control) { control.disabled = true; });
      document.querySelectorAll(".st-submit-form").forEach(function (form) { form.hidden = true; });
      var status = late.status || "closed";
      document.querySelectorAll(".st-meta .st-status").forEach(function (tag) {
        tag.className = "st-status st-" + status;
        tag.textContent = status.charAt(0).toUpperCase() + status.slice(1);
      });
      lastBox.replaceChildren(element("p", "st-last-label", "Counting has stopped: this count is "
        + status + "."));
      lastBox.classList.remove("st-stale");
    }
    part("retry").addEventListener("click", function () { if (sender) sender.retryRefused(); });
    part("discard").addEventListener("click", function () {
      var n = view.refused.length;
      if (sender && window.confirm("Remove " + scansWord(n) + " from this device? They will not be counted.")) {
        sender.discardRefused();
      }
    });

    // --- the page's own totals, before the server has them ---
    function rowFor(code) {
      var rows = fragments.lines_html ? fragments.lines_html.querySelectorAll("tr[data-sku]") : [];
      var byBarcode = null;
      for (var n = 0; n < rows.length; n++) {
        if (rows[n].dataset.sku === code) return rows[n]; // a SKU before another item's barcode
        if (!byBarcode && rows[n].dataset.barcode === code) byBarcode = rows[n];
      }
      return byBarcode;
    }
    function markRows() {
      if (!fragments.lines_html) return;
      fragments.lines_html.querySelectorAll(".st-pending").forEach(function (node) { node.remove(); });
      var codes = byCode(view.waiting);
      var extra = new Map();
      codes.order.forEach(function (code) {
        var row = rowFor(code);
        if (row) extra.set(row, (extra.get(row) || 0) + codes.counts[code]);
      });
      extra.forEach(function (units, row) {
        var cell = row.querySelector(".st-counted");
        if (cell) cell.appendChild(element("span", "st-pending", "+" + units + " waiting"));
      });
    }
    function pendingFor(row, code) {
      return view.waiting.filter(function (scan) {
        return row ? rowFor(scan.code) === row : scan.code === code;
      }).reduce(function (sum, scan) { return sum + scan.quantity; }, 0);
    }
    function showSaved(scan) {
      var row = rowFor(scan.code);
      var counted = row ? Number(row.querySelector(".st-counted").dataset.counted || 0) : 0;
      var name = row && row.querySelector(".st-name");
      var named = name && name.textContent.trim();
      // A long count lists only its latest lines: an item not among them may have been counted
      // before, so the page knows no running total for it until the server answers.
      var partial = fragments.lines_html && fragments.lines_html.querySelector("table[data-partial]");
      lastBox.replaceChildren(
        element("p", "st-last-label", "Last scanned"),
        row || !partial ? element("p", "st-last-total", String(counted + pendingFor(row, scan.code))) : "",
        element("p", named ? "st-last-name" : "st-last-name st-last-code", named || scan.code),
        named ? element("p", "st-last-sku", scan.code) : "",
        element("p", "st-last-saved", "+" + scan.quantity + " saved on this device")
      );
      lastBox.classList.remove("st-flash");
      void lastBox.offsetWidth; // restart the animation
      lastBox.classList.add("st-flash");
    }

    // --- scans: to the device, then to the server ---
    function enqueue(code) {
      if (!code) {
        showError("Scan or type a SKU or barcode first.");
        return;
      }
      if (code.length > 255) {
        showError("Not saved: a code has at most 255 characters.");
        return;
      }
      var scan = Queue.scan(count.stocktake, code, 1);
      ready.then(function () { return store.add(scan); }).then(function () {
        beep();
        clearError();
        return sender.report().then(function () {
          showSaved(scan);
          // While the server cannot be reached, its next try waits its turn (backing off).
          if (!sender.waiting()) sender.flush();
        });
      }, function () {
        showError("Not saved: " + code + ". Scan it again.");
      });
    }

    function onBatch(answer, batch) {
      var codes = {};
      batch.forEach(function (scan) { codes[scan.id] = scan.code; });
      var problems = [];
      var lastItem = null;
      var lateBefore = late.closed + late.recount;
      answer.results.forEach(function (result) {
        var code = codes[result.id];
        if (result.outcome === "unknown_code") {
          problems.push("Unknown code " + code + ": not counted — it is listed under Unknown codes");
        } else if (result.outcome === "not_in_count") {
          problems.push(code + " is not part of this count: not counted");
        } else if (result.outcome === "late") {
          if (answer.status === "counting") late.recount += 1;
          else late.closed += 1;
        } else if (result.outcome === "counted" && result.item) {
          lastItem = result.item;
        }
      });
      late.status = answer.status;
      if (problems.length) {
        var more = problems.length - 3;
        showError(problems.slice(0, 3).join(". ") + (more > 0 ? ". And " + more + " more." : "."));
      }
      if (late.closed + late.recount > lateBefore) {
        renderLate();
        if (!problems.length) buzz();
      }
      if (late.closed) stopCounting();
      if (lastItem) counting.lastItem = lastItem;
      return refresh(lastItem);
    }

    function update(body) {
      Object.keys(fragments).forEach(function (name) {
        if (fragments[name] && typeof body[name] === "string") fragments[name].innerHTML = body[name];
      });
      if (typeof body.last_html === "string") {
        lastBox.innerHTML = body.last_html;
        lastBox.classList.remove("st-stale");
      }
      markRows();
    }
    // The page's lists as the server has them now (and the last counted item's box, once
    // nothing is waiting: until then the device's newest scan stays in it).
    function refresh(lastItem) {
      if (inShell) return Promise.resolve();
      var url = count.scanUrl + (lastItem ? "?last=" + encodeURIComponent(lastItem) : "");
      return fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (!body) return;
          return sender.report().then(function () {
            if (body.redirect) {
              // The count ended: go to where it stands, unless scans are waiting (they would
              // be stranded) or the device has just said which scans came late.
              if (!view.waiting.length && !(late.closed + late.recount) && !busy) window.location.assign(body.redirect);
              return;
            }
            if (view.waiting.length) delete body.last_html;
            update(body);
          });
        })
        .catch(noop);
    }

    // Setting a count and undoing one are not queued. Each replaces or takes back what is
    // counted now, so it must reach the server after every scan made before it (the waiting
    // scans are sent first) and be answered before the counter goes on; held on a phone for an
    // hour, a count set there would overwrite what other phones counted meanwhile. So they need
    // the connection: with none, they are refused here, and the typed number is kept.
    function online(form, data, code, undo) {
      if (busy) return;
      var refuse = function () {
        var waiting = view.waiting.length;
        var first = waiting ? "the " + plural(waiting, "waiting scan is", "waiting scans are") + " sent first" : "you are offline";
        showError((undo ? "Undo needs the connection, and " + first + ". Try again"
          : "Setting a count needs the connection, and " + first + ". Your number is kept: press Count again")
          + " when the banner says “All scans saved”.");
      };
      if (inShell) { refuse(); return; }
      busy = true;
      ready.then(function () { return sender.now(); }).then(function (emptied) {
        if (!emptied) { busy = false; refuse(); return; }
        return post(form, data, code);
      });
    }
    function post(form, data, code) {
      return fetch(count.scanUrl, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-Requested-With": "fetch" },
      })
        .then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (type.indexOf("application/json") === -1) {
            throw new Error("Not saved: " + code + ". Your session may have ended: reload the page.");
          }
          return response.json();
        })
        .then(function (body) {
          update(body);
          if (body.ok) {
            clearError();
            if (form === scanForm) scanForm.reset();
            beep();
          } else {
            showError(body.message || "Not counted: " + code);
          }
          if (body.redirect) window.location.assign(body.redirect);
        })
        .catch(function (error) {
          var message = error && error.message && error.message.indexOf("Not saved") === 0
            ? error.message
            : "Not saved (no connection?): " + code + ". Your number is kept: try again.";
          showError(message);
        })
        .then(function () {
          busy = false;
          codeInput.focus();
        });
    }

    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.matches || !form.matches("form[data-scan]")) return;
      event.preventDefault();
      var data = new FormData(form);
      var code = String(data.get("code") || "").trim();
      if (!code) {
        showError("Scan or type a SKU or barcode first.");
        codeInput.focus();
        return;
      }
      var setTo = String(data.get("quantity") || "").trim();
      var undo = String(data.get("add") || "") === "-1";
      if (form === scanForm && !setTo && !undo) {
        codeInput.value = "";
        codeInput.focus();
        enqueue(code);
        return;
      }
      online(form, data, code, undo);
    });
    // The camera's reads (scanning/camera.js): a scan like a typed one.
    codeInput.addEventListener("stockroom:scan", function (event) {
      var code = event.detail && event.detail.code;
      if (typeof code !== "string") return;
      event.preventDefault();
      enqueue(code.trim());
    });

    // When to send: now, when the connection comes back, when the page is shown again (a
    // phone waking up), and every little while in case none of those is noticed.
    ready.then(function () { sender.now(); });
    window.addEventListener("online", function () { if (sender) sender.now(); });
    window.addEventListener("offline", function () { if (view.loaded) renderBanner(); });
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && sender) sender.now();
    });
    window.addEventListener("pageshow", function (event) { if (event.persisted && sender) sender.now(); });
    setInterval(function () {
      if (sender && view.waiting.length && !sender.running && !sender.waiting()) sender.flush();
    }, 15000);
    // What others counted meanwhile: the lists now and then, while nothing is waiting here.
    if (!inShell) {
      setInterval(function () {
        if (busy || !sender || sender.running || view.waiting.length || document.hidden) return;
        refresh(null);
      }, 20000);
    }
    var counting = {
      lastItem: null,
      late: late,
      view: function () { return view; },
      sender: function () { return sender; },
      ready: ready,
    };
    return counting;
  }

  /* The shell, shown by the service worker at a count page's address (or the list's) when it
     could not be loaded. Which count: from the address; its name: from what the real page
     stored on this device. Once the server answers again, the waiting scans are sent and the
     real page is opened. */
  // As the server's pages write times ("4 Dec 2026, 17:45"), in the phone's own time zone.
  function shownTime(iso) {
    return new Date(iso).toLocaleString("en-GB", {
      day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
    });
  }

  function startShell() {
    var base = shell.dataset.countUrl.replace(/0\/$/, "");
    var path = window.location.pathname;
    var match = path.indexOf(base) === 0 ? path.slice(base.length).match(/^(\d+)\/$/) : null;
    var own = path === shell.dataset.shellUrl;
    var counting = null;
    if (match) {
      var pk = Number(match[1]);
      var urlOf = function (pattern) { return pattern.replace(/\/0\//, "/" + pk + "/"); };
      shell.querySelector("[data-shell-count]").hidden = false;
      Queue.open().then(function (store) { return store.count(pk); }).catch(noop).then(function (known) {
        var title = known && known.title ? known.title : "Count #" + pk;
        document.querySelector("[data-shell-title]").textContent = title;
        document.querySelector("[data-shell-crumb]").textContent = title;
        document.title = title + " (offline)";
        document.querySelector("[data-shell-meta]").textContent = known
          ? (known.place || "") + " · opened on this device " + shownTime(known.seen)
          : "This count was not opened on this device before: scans are kept for count #" + pk + ".";
      });
      scanForm.setAttribute("action", urlOf(shell.dataset.countUrl));
      shell.querySelector("[data-shell-count-link]").href = urlOf(shell.dataset.countUrl);
      counting = startCounting({
        stocktake: pk,
        countUrl: urlOf(shell.dataset.countUrl),
        scanUrl: urlOf(shell.dataset.scanUrl),
        scansUrl: urlOf(shell.dataset.scansUrl),
      }, true);
    } else {
      listCounts();
    }
    if (own) {
      // Opened as itself: it is what a count page turns into when there is no connection.
      if (navigator.onLine !== false) {
        shell.querySelector(".st-offline-note").textContent = "This page stands in for a count page when "
          + "there is no connection: scans are saved on this phone and sent when the connection is back.";
      }
      return;
    }
    var back = function () {
      var sent = counting
        ? counting.ready.then(function () { return counting.sender().now(); })
        : Promise.resolve(true);
      sent.then(function (emptied) {
        if (!emptied || (counting && counting.late.closed)) return;
        // The server answers again (whatever it says): the real page can be loaded.
        return fetch(path, { credentials: "same-origin", cache: "no-store" }).then(function () {
          var last = counting && counting.lastItem;
          window.location.replace(path + (last ? "?last=" + encodeURIComponent(last) : ""));
        });
      }).catch(noop);
    };
    window.addEventListener("online", back);
    setInterval(function () { if (navigator.onLine !== false) back(); }, 10000);
  }

  function listCounts() {
    var section = shell.querySelector("[data-shell-list]");
    var list = shell.querySelector("[data-shell-counts]");
    section.hidden = false;
    Queue.open().then(function (store) {
      return Promise.all([store.counts(), store.list(null)]);
    }).then(function (found) {
      var counts = found[0].sort(function (a, b) { return a.seen < b.seen ? 1 : -1; });
      var waiting = {};
      found[1].forEach(function (scan) { waiting[scan.stocktake] = (waiting[scan.stocktake] || 0) + 1; });
      counts.forEach(function (count) {
        var item = element("li");
        var link = element("a", "st-open-link", count.title || "Count #" + count.stocktake);
        link.href = count.countUrl;
        item.appendChild(link);
        var n = waiting[count.stocktake] || 0;
        item.appendChild(element("span", "st-quiet", " · " + (count.place ? count.place + " · " : "")
          + (n ? scansWord(n) + " waiting on this device" : "nothing waiting")));
        list.appendChild(item);
      });
      shell.querySelector("[data-shell-none]").hidden = counts.length > 0;
    }).catch(noop);
  }

  /* Any other stocktake page (the review a finished count now opens, the list): scans left on
     this device for a count whose page no longer shows its scan form are sent from here, and
     what came of them is said at the top. */
  function sendLeftovers() {
    var main = document.getElementById("content-main");
    if (!main || !document.querySelector("input[name=csrfmiddlewaretoken]") && !/csrftoken=/.test(document.cookie)) return;
    Queue.open().then(function (store) {
      return Promise.all([store.counts(), store.list(null)]).then(function (found) {
        var known = {};
        found[0].forEach(function (count) { known[count.stocktake] = count; });
        var pending = {};
        found[1].forEach(function (scan) {
          if (!scan.refused && known[scan.stocktake]) pending[scan.stocktake] = true;
        });
        Object.keys(pending).forEach(function (pk) { sendFor(store, known[pk], main); });
      });
    }).catch(noop);
  }
  function sendFor(store, count, main) {
    var tally = { sent: 0, late: 0, status: "" };
    var sender = new Queue.Sender({
      store: store,
      stocktake: count.stocktake,
      url: count.scansUrl,
      onBatch: function (answer) {
        tally.status = answer.status;
        answer.results.forEach(function (result) {
          tally.sent += 1;
          if (result.outcome === "late") tally.late += 1;
        });
      },
    });
    sender.flush().then(function () {
      if (!tally.sent) return;
      var title = count.title || "count #" + count.stocktake;
      var text = tally.late
        ? plural(tally.late, "scan", "scans") + " left on this device for " + title + " arrived after it was "
          + (tally.status || "closed") + (tally.status === "submitted" ? " — a manager sees them on the review." : ": kept, and counted nothing.")
        : plural(tally.sent, "scan", "scans") + " left on this device for " + title + " were sent.";
      var notice = element("p", "st-banner st-banner-note", text);
      notice.setAttribute("role", "status");
      notice.dataset.tone = tally.late ? "problem" : "ok";
      main.insertBefore(notice, main.firstChild);
    });
  }
})();
