// The search page: the sort order and the language apply as soon as they change; empty
// filter fields stay out of the URL; on a phone the filters fold behind a "Filters" button so
// the first result is on the first screen. Without this script the form still works with
// its Search and Apply buttons, and the filters stay open.

const form = document.getElementById("search-form");
const REFOCUS = "kaynak-search-refocus";

if (form) {
  // A change made from the keyboard (arrow keys on a closed select) reloads the page: the
  // focus comes back to the same control, so the next arrow press goes on from there.
  const refocus = sessionStorage.getItem(REFOCUS);
  if (refocus) {
    sessionStorage.removeItem(REFOCUS);
    document.getElementById(refocus)?.focus();
  }

  for (const control of form.querySelectorAll("[data-apply-at-once]")) {
    control.addEventListener("change", () => {
      sessionStorage.setItem(REFOCUS, control.id);
      form.requestSubmit();
    });
  }

  form.addEventListener("submit", () => {
    for (const field of form.querySelectorAll("input[type=date], select#language")) {
      if (!field.value) field.disabled = true;
    }
  });
  // Back to this page from the history: the fields disabled for the submit are usable again.
  window.addEventListener("pageshow", () => {
    for (const field of form.querySelectorAll(":disabled")) field.disabled = false;
  });

  const toggle = document.getElementById("filters-toggle");
  if (toggle) {
    document.body.classList.add("filters-collapsible");
    toggle.hidden = false;
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      document.body.classList.toggle("filters-open", open);
    });
  }
}
