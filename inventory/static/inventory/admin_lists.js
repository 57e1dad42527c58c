// An admin list's filters on a phone (loaded by templates/admin/change_list_results.html). They
// come before the rows there, and a list with several filters would push its first row a few
// screens down: this folds them behind one button that names the filters in use. Without the
// script the filters simply stay open; on a desk (admin_lists.css) the button is hidden and the
// sidebar is never folded. A file, not an inline script: the Content-Security-Policy runs
// scripts from our own origin only.
"use strict";
{
  const panel = document.getElementById("changelist-filter");
  if (panel && !document.getElementById("changelist-filter-toggle")) {
    // A filter is in use when its chosen choice is not its first one ("All", "Any date").
    const inUse = [...panel.querySelectorAll("details")]
      .map((filter) => filter.querySelector("li.selected"))
      .filter((chosen) => chosen && chosen.previousElementSibling)
      .map((chosen) => chosen.textContent.trim());
    const button = document.createElement("button");
    button.type = "button";
    button.id = "changelist-filter-toggle";
    button.setAttribute("aria-controls", "changelist-filter");
    const label = document.createElement("span");
    label.textContent = inUse.length ? "Filters: " + inUse.join(", ") : "Filters";
    button.append(label);
    panel.before(button);
    const show = (open) => {
      button.setAttribute("aria-expanded", String(open));
      panel.classList.toggle("folded", !open);
    };
    button.addEventListener("click", () => show(panel.classList.contains("folded")));
    show(false);
  }
}
