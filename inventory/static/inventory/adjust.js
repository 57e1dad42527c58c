// The "Adjust stock" form (templates/admin/inventory/balance/adjust.html). A second click while
// the first submission is on its way would send the form twice; the server replays rather than
// re-applies it, but there is no need to ask. A file, not an inline script: the
// Content-Security-Policy runs scripts from our own origin only.
document.getElementById("adjust-form").addEventListener("submit", function () {
  var button = document.getElementById("apply-button");
  setTimeout(function () { button.disabled = true; button.value = "Applying…"; }, 0);
});
