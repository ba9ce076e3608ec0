// Kaynak's small fixes over Django's admin markup: a table that scrolls sideways (the
// history at phone width) gets a keyboard stop and a name, so it can be scrolled without a
// mouse (WCAG 2.1.1).
for (const group of document.querySelectorAll(".inline-group, .results")) {
  if (group.scrollWidth <= group.clientWidth) continue;
  group.tabIndex = 0;
  group.setAttribute("role", "region");
  const heading = group.querySelector("h2");
  group.setAttribute("aria-label", heading ? heading.textContent.trim() : "Table");
}
