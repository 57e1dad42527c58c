/* Stocktake pages, progressive enhancement. Every page works without this file: forms post and
   the server redirects back. With it:
   - the count page sends scans with fetch and updates itself without reloading (a queue, so a
     scanner firing codes faster than the network answers loses none), with a short beep for a
     counted item and a buzz for an error (Web Audio, no sound files);
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

  // --- count page -----------------------------------------------------------------------------
  var scanForm = document.getElementById("scan-form");
  if (!scanForm || !window.fetch || !window.FormData) return;
  var scanUrl = scanForm.dataset.scanUrl;
  var codeInput = scanForm.querySelector("input[name=code]");
  var quantityInput = scanForm.querySelector("input[name=quantity]");
  var errorBox = document.getElementById("scan-error");
  var lastBox = document.getElementById("last-scanned");
  var fragments = {
    lines_html: document.getElementById("counted-lines"),
    unknown_html: document.getElementById("unknown-codes"),
    progress_html: document.getElementById("progress"),
    not_counted_html: document.getElementById("not-counted"),
    recount_html: document.getElementById("recount-box"),
  };
  var queue = [];
  var busy = false;

  function showError(message) {
    errorBox.textContent = message;
    lastBox.classList.add("st-stale"); // what it shows was not this scan
    buzz();
  }
  function update(body) {
    Object.keys(fragments).forEach(function (name) {
      if (fragments[name] && typeof body[name] === "string") fragments[name].innerHTML = body[name];
    });
    if (typeof body.last_html === "string") {
      lastBox.innerHTML = body.last_html;
      lastBox.classList.remove("st-flash");
      void lastBox.offsetWidth; // restart the animation
      lastBox.classList.add("st-flash");
    }
  }
  function send(data, code) {
    busy = true;
    return fetch(scanUrl, {
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
          errorBox.textContent = "";
          lastBox.classList.remove("st-stale");
          beep();
        } else {
          showError(body.message || "Not counted: " + code);
        }
        if (body.redirect) window.location.assign(body.redirect);
      })
      .catch(function (error) {
        var message = error && error.message && error.message.indexOf("Not saved") === 0
          ? error.message
          : "Not saved (no connection?): " + code + ". Scan it again.";
        showError(message);
      })
      .then(function () {
        busy = false;
        next();
      });
  }
  function next() {
    if (busy || !queue.length) return;
    var job = queue.shift();
    send(job.data, job.code);
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
    queue.push({ data: data, code: code });
    if (form === scanForm) {
      codeInput.value = "";
      if (quantityInput) quantityInput.value = "";
    }
    codeInput.focus();
    next();
  });

  // What others counted meanwhile: refresh the lists now and then while the page is in view.
  setInterval(function () {
    if (busy || queue.length || document.hidden) return;
    fetch(scanUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) return;
        if (body.redirect) { window.location.assign(body.redirect); return; }
        if (!busy && !queue.length) update(body);
      })
      .catch(function () {});
  }, 20000);
})();
