/* The receiving page, progressive enhancement. The page works without this file (quantities
   typed, "Add" posts a scan and the page comes back). With it, scanning happens on the page:
   - Enter in the scan box (a keyboard-wedge scanner ends each code with Enter) adds one unit
     to its line's "Received" at once, highlights the line and shows its running count; nothing
     is sent to the server until "Receive" is pressed, so scans are never lost to the network;
   - "12*CODE" adds twelve;
   - the camera's scans (scanning/camera.js, a `stockroom:scan` event) count the same way;
   - a code not on the document is listed under "Not on this …" (asking the server which item
     it names, if any) and is not added; a short beep for a unit, a buzz for a code refused;
   - Enter in any other box never submits the form; "Receive" is sent once (the server also
     answers a second submission of the same form with the first one's result). */
(function () {
  "use strict";

  var form = document.getElementById("receive-form");
  if (!form) return;
  var codeInput = document.getElementById("rc-code");
  var feedback = document.getElementById("rc-feedback");
  var totalBox = document.getElementById("rc-total");
  var totalWord = document.getElementById("rc-total-word");
  var strayList = document.getElementById("rc-strays-list");
  var strayBox = document.getElementById("rc-strays");
  var lookupUrl = form.dataset.lookupUrl;
  var word = form.dataset.word;
  var MULTIPLE = /^\s*(\d{1,6})\s*\*\s*(\S.*)$/;

  // --- sound (Web Audio, no files; browsers allow it after a key press) ----------------------
  var audio = null;
  function tone(frequency, seconds, type, volume) {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      audio = audio || new Context();
      if (audio.state === "suspended" && audio.resume) audio.resume();
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      oscillator.type = type;
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(volume, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + seconds);
      oscillator.connect(gain);
      gain.connect(audio.destination);
      oscillator.start();
      oscillator.stop(audio.currentTime + seconds);
    } catch (e) { /* no sound: the page still says it */ }
  }
  function beep() { tone(1320, 0.09, "sine", 0.25); }
  function buzz() {
    tone(150, 0.35, "square", 0.18);
    setTimeout(function () { tone(120, 0.25, "square", 0.18); }, 120);
  }

  // --- the lines, by every code that names them -----------------------------------------------
  var rows = {};
  form.querySelectorAll("tr[data-sku]").forEach(function (row) {
    rows[row.dataset.sku] = row;
    if (row.dataset.barcode && !rows[row.dataset.barcode]) rows[row.dataset.barcode] = row;
  });

  function number(input) {
    var value = parseInt(String(input.value).trim(), 10);
    return isNaN(value) || value < 0 ? 0 : value;
  }
  function input(row, column) {
    return row.querySelector("input[data-column=" + column + "]");
  }
  function accounted(row) {
    var total = 0;
    row.querySelectorAll("input.rc-qty").forEach(function (box) { total += number(box); });
    return total;
  }
  // More entered than is still to come: said on the line now, refused by the server (unless a
  // manager accepts the extra units).
  function checkOver(row) {
    var outstanding = parseInt(row.dataset.outstanding, 10) || 0;
    var entered = accounted(row);
    var over = entered > outstanding;
    row.classList.toggle("rc-over", over);
    var note = row.querySelector(".rc-over-message");
    if (note) {
      note.hidden = !over;
      note.textContent = over
        ? entered + " entered, but only " + outstanding + " still to come. Count again, or have a manager accept the extra units."
        : "";
    }
    return over;
  }
  function updateTotal() {
    var total = 0;
    form.querySelectorAll("input[data-column=received]").forEach(function (box) { total += number(box); });
    if (totalBox) totalBox.textContent = total;
    if (totalWord) totalWord.textContent = total === 1 ? "unit" : "units";
  }

  function show(html, tone) {
    feedback.innerHTML = "";
    feedback.className = "rc-feedback" + (tone ? " rc-feedback-" + tone : "");
    html.forEach(function (part) {
      var p = document.createElement("p");
      p.className = part[0];
      if (part[2] !== undefined) {
        var big = document.createElement("span");
        big.className = "rc-big";
        big.textContent = part[2];
        p.appendChild(big);
        p.appendChild(document.createTextNode(" "));
      }
      var text = document.createElement("span");
      text.textContent = part[1];
      p.appendChild(text);
      feedback.appendChild(p);
    });
  }
  function flash(row, stay) {
    row.classList.remove("rc-hit");
    void row.offsetWidth; // restart the animation
    row.classList.add("rc-hit");
    clearTimeout(row.hitTimer);
    row.hitTimer = setTimeout(function () { row.classList.remove("rc-hit"); }, 1000);
    if (stay) return;
    var box = row.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) {
      row.scrollIntoView({ block: "nearest" });
      codeInput.scrollIntoView({ block: "nearest" });
    }
  }

  function addUnits(row, count, stay) {
    var box = input(row, "received");
    box.value = number(box) + count;
    var over = checkOver(row);
    updateTotal();
    flash(row, stay);
    var outstanding = parseInt(row.dataset.outstanding, 10) || 0;
    show([
      ["rc-feedback-count", "received of " + outstanding + " still to come", number(box)],
      ["rc-feedback-item", row.dataset.item],
    ], over ? "warn" : "");
    if (over) buzz(); else beep();
  }

  function addStray(code) {
    var existing = strayList.querySelector('li[data-code="' + CSS.escape(code) + '"]');
    show([["rc-feedback-item", "“" + code + "” is not on this " + word + ": not added. It is listed below."]], "bad");
    buzz();
    if (existing) return;
    var item = document.createElement("li");
    item.dataset.code = code;
    var shown = document.createElement("code");
    shown.textContent = code;
    var name = document.createElement("span");
    name.className = "rc-quiet";
    name.textContent = "…";
    var kept = document.createElement("input");
    kept.type = "hidden";
    kept.name = "stray";
    kept.value = code;
    item.appendChild(shown);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(name);
    item.appendChild(kept);
    strayList.appendChild(item);
    strayBox.querySelectorAll(".rc-strays-help, .rc-empty").forEach(function (p) {
      p.hidden = p.classList.contains("rc-empty");
    });
    if (!window.fetch) { name.textContent = ""; return; }
    fetch(lookupUrl + "?lookup=" + encodeURIComponent(code), {
      credentials: "same-origin", headers: { Accept: "application/json" },
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) { name.textContent = ""; return; }
        if (!body.item) { name.textContent = "no item has this code"; return; }
        name.textContent = body.item;
        name.className = "";
        // Scanned by its SKU: the item's name says it already.
        if (body.item === code || body.item.indexOf(code + " · ") === 0) shown.remove();
      })
      .catch(function () { name.textContent = ""; });
  }

  function scan() {
    var raw = codeInput.value;
    codeInput.value = "";
    codeInput.focus();
    scanCode(raw);
  }
  // `stay`: the page does not scroll to the line (the camera's picture stays in view).
  function scanCode(text, stay) {
    var raw = String(text).trim();
    if (!raw) {
      show([["rc-feedback-idle", "Scan or type a SKU or barcode first."]], "");
      return;
    }
    var count = 1, code = raw;
    var match = MULTIPLE.exec(raw);
    if (match) { count = Math.max(parseInt(match[1], 10), 1); code = match[2].trim(); }
    var row = Object.prototype.hasOwnProperty.call(rows, code) ? rows[code] : null;
    if (row) addUnits(row, count, stay); else addStray(code);
  }

  codeInput.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    event.preventDefault();
    scan();
  });
  // The camera (scanning/camera.js) hands over each code it reads: the same as a scan typed in
  // the box, but the cursor and the page stay where they are, so neither a phone's keyboard nor
  // a scroll to the line takes the camera's picture away. The feedback under it names the line.
  codeInput.addEventListener("stockroom:scan", function (event) {
    event.preventDefault();
    scanCode(event.detail.code, true);
  });
  form.addEventListener("input", function (event) {
    var box = event.target;
    if (!box.classList || !box.classList.contains("rc-qty")) return;
    checkOver(box.closest("tr"));
    updateTotal();
  });
  // Enter in a quantity box: next box, not a submission.
  form.addEventListener("keydown", function (event) {
    var box = event.target;
    if (event.key !== "Enter" || !box.classList || !box.classList.contains("rc-qty")) return;
    event.preventDefault();
    var boxes = Array.prototype.slice.call(form.querySelectorAll("input.rc-qty"));
    var next = boxes[boxes.indexOf(box) + 1];
    (next || codeInput).focus();
  });

  // Which button sent the form, where `event.submitter` is not known (older Safari).
  var clicked = null;
  form.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[type=submit]");
    if (button) clicked = button;
  });

  form.addEventListener("submit", function (event) {
    var button = event.submitter || clicked;
    clicked = null;
    if (!button || button.value !== "receive") {
      // "Add" (or an implicit submission): a scan, handled here.
      event.preventDefault();
      scan();
      return;
    }
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    // After this tick, so the button's name and value still go with the form.
    setTimeout(function () {
      button.disabled = true;
      button.dataset.label = button.textContent;
      button.textContent = "Receiving…";
    }, 0);
  });
  // Back/forward cache: a page shown again must have its button back.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    delete form.dataset.sent;
    form.querySelectorAll("button[disabled]").forEach(function (button) {
      button.disabled = false;
      if (button.dataset.label) button.textContent = button.dataset.label;
    });
  });

  // A line the server refused already says why; the hint waits until it is changed.
  form.querySelectorAll("tr[data-sku]:not(.rc-row-error)").forEach(checkOver);
  updateTotal();
})();
