/* The "Adjust stock" and "Move stock" forms (templates/admin/inventory/balance/stock_form.html).
   Both work without this file: the server looks items up, checks every row and shows every
   error, and Enter submits the "Check without applying" button. With it:
   - a typed or scanned code shows its item's name and on-hand at the chosen location at once,
     and that on-hand becomes the row's expected quantity, which the server compares when the
     change is applied (a sale made meanwhile is not overwritten);
   - Enter in a row (a wedge scanner ends each code with it) moves to the next row, adding one
     at the end, instead of submitting the form;
   - a row that would change nothing says so as it is typed;
   - a second click while the form is on its way sends nothing (the server would replay it).
   A file, not an inline script: the Content-Security-Policy runs scripts from our origin only. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-stock-rows]");
  if (!form) return;
  var lookupUrl = form.dataset.lookupUrl;
  var source = document.getElementById(form.dataset.source);
  var body = form.querySelector("tbody[data-rows]");
  var total = form.querySelector("input[name$=TOTAL_FORMS]");
  var template = document.getElementById("row-template");

  function field(row, name) { return row.querySelector("input[name$='-" + name + "']"); }
  function code(row) { return field(row, "code").value.trim(); }
  function rows() { return Array.prototype.slice.call(body.querySelectorAll("tr[data-row]")); }

  // --- showing a row's item ---------------------------------------------------------------
  function show(row, name, onHand, note, unknown) {
    row.querySelector("[data-name]").textContent = name || "";
    row.querySelector("[data-on-hand]").textContent = onHand === null ? "—" : String(onHand);
    field(row, "expected_quantity").value = onHand === null ? "" : String(onHand);
    row.classList.toggle("is-unknown", !!unknown);
    row.classList.toggle("no-item", !name);
    row.dataset.note = note || "";
    delete row.dataset.fromServer;
    hint(row);
  }

  function lookup(row) {
    var wanted = code(row);
    var at = source ? source.value : "";
    if (row.dataset.looked === wanted + "\n" + at) return; // already shown
    row.dataset.looked = wanted + "\n" + at;
    if (!wanted) { show(row, "", null, ""); return; }
    row.querySelector("[data-note]").textContent = "Looking up…";
    var query = new URLSearchParams({ code: wanted, location: at });
    fetch(lookupUrl + "?" + query.toString(), { headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(
          function (data) { return { ok: response.ok, data: data }; },
          function () { return { ok: false, data: { message: "Could not look this up: reload the page and log in again." } }; }
        );
      })
      .then(function (answer) {
        if (row.dataset.looked !== wanted + "\n" + at) return; // a newer lookup answers for this row
        var data = answer.data;
        if (answer.ok) show(row, data.name, data.on_hand, data.message, false);
        else show(row, "", null, data.message, true);
      })
      .catch(function () {
        if (row.dataset.looked !== wanted + "\n" + at) return;
        row.dataset.looked = ""; // try again on the next change
        show(row, "", null, "Could not reach the server: the row is checked when you apply.", false);
      });
  }

  // --- what a row will do ---------------------------------------------------------------
  function mode() {
    if (form.dataset.change === "move") return "move";
    var checked = form.querySelector("input[name=mode]:checked");
    return checked ? checked.value : "";
  }
  // On-hand after the row, at the location it is read at; null when it cannot be told yet.
  function after(quantity, onHand) {
    if (quantity === "" || onHand === "" || isNaN(Number(quantity))) return null;
    var change = mode();
    if (change === "set") return Number(quantity);
    if (change === "add") return Number(onHand) + Number(quantity);
    if (change === "move") return Number(onHand) - Number(quantity);
    return null;
  }
  function hint(row) {
    var note = row.dataset.note || "";
    var quantity = field(row, "quantity").value;
    var onHand = field(row, "expected_quantity").value;
    var result = after(quantity, onHand);
    row.querySelector("[data-after]").textContent = result === null ? "" : " → " + result;
    if (!note && result !== null && !row.querySelector(".errorlist")) {
      if (mode() === "move" && Number(quantity) < 1) note = "Move at least 1.";
      else if (mode() === "set" && result < 0) note = "On-hand cannot be set below 0: choose “Add” to take units out.";
      else if (result < 0) note = "Only " + onHand + " on hand: that is more than there is.";
      else if (result === Number(onHand)) note = "No change: on-hand stays " + onHand + ".";
    }
    row.querySelector("[data-note]").textContent = note;
  }

  // --- rows: Enter moves on, a new row at the end ----------------------------------------
  function addRow() {
    var index = Number(total.value);
    var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
    body.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    return rows()[rows().length - 1];
  }

  body.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.isComposing) return;
    var input = event.target;
    if (!input.name || !/-(code|quantity)$/.test(input.name)) return;
    event.preventDefault();
    var row = input.closest("tr[data-row]");
    if (/-code$/.test(input.name)) lookup(row);
    var all = rows();
    var next = all[all.indexOf(row) + 1] || addRow();
    field(next, "code").focus();
  });
  body.addEventListener("change", function (event) {
    var row = event.target.closest("tr[data-row]");
    if (row && /-code$/.test(event.target.name)) lookup(row);
  });
  body.addEventListener("focusout", function (event) {
    var row = event.target.closest("tr[data-row]");
    if (row && /-code$/.test(event.target.name)) lookup(row);
  });
  // A row edited after the server checked it: its messages were about what it held before.
  function forgetChecks(row) {
    row.querySelectorAll(".errorlist").forEach(function (list) { list.remove(); });
    row.querySelectorAll(".has-error").forEach(function (cell) { cell.classList.remove("has-error"); });
    row.classList.remove("has-error", "has-warning");
  }

  body.addEventListener("input", function (event) {
    var row = event.target.closest("tr[data-row]");
    if (row) forgetChecks(row);
    if (row && /-code$/.test(event.target.name)) {
      // Another code: what the row showed was another item's, until the lookup answers.
      row.dataset.looked = "";
      show(row, "", null, "");
      return;
    }
    if (!row || !/-quantity$/.test(event.target.name)) return;
    if (row.dataset.fromServer) { row.dataset.note = ""; delete row.dataset.fromServer; }
    hint(row);
  });
  form.addEventListener("change", function (event) {
    if (event.target.name === "mode") rows().forEach(hint);
  });
  if (source) {
    // Another location: every row's on-hand is another number.
    source.addEventListener("change", function () { rows().forEach(lookup); });
  }

  var more = document.getElementById("add-row");
  more.hidden = false;
  more.addEventListener("click", function () { field(addRow(), "code").focus(); });

  // What the server showed stays until the row changes: its on-hand is the one it checked.
  rows().forEach(function (row) {
    row.dataset.looked = code(row) + "\n" + (source ? source.value : "");
    var note = row.querySelector("[data-note]").textContent.trim();
    if (note) { row.dataset.note = note; row.dataset.fromServer = "1"; }
    hint(row);
  });

  // --- sent once ---------------------------------------------------------------------------
  form.addEventListener("submit", function (event) {
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    // After this tick, so the clicked button's name still goes with the form.
    setTimeout(function () {
      form.querySelectorAll("input[type=submit]").forEach(function (button) { button.disabled = true; });
      document.getElementById("apply-button").value = "Working…";
    }, 0);
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return; // back/forward cache: the buttons must work again
    delete form.dataset.sent;
    form.querySelectorAll("input[type=submit]").forEach(function (button) { button.disabled = false; });
  });
})();
