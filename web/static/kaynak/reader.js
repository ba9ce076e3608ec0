// The document reader's annotation tools. Talks to the REST API; never builds HTML from
// data (every user-supplied string goes in with textContent), so a comment, tag or source
// name that looks like markup stays text.
//
// Offsets: the API counts Unicode code points; the browser's strings and selections count
// UTF-16 code units. Selections are sent as UTF-16 offsets with offset_unit "utf16" (the
// server converts); annotations read back are placed by converting code points to UTF-16.

const config = JSON.parse(document.getElementById("reader-config").textContent);
const textElement = document.getElementById("document-text");
const TEXT = textElement.textContent;
const panel = document.getElementById("annotation-panel");
const panelBody = document.getElementById("panel-body");
const editor = document.getElementById("editor");
const annotateButton = document.getElementById("annotate-button");
const statusLine = document.getElementById("reader-status");

// The phone layout (app.css uses the same width): the panel and the list are sheets.
const phone = window.matchMedia("(max-width: 900px)");

const state = {
  annotations: [], // as the API returns them
  filters: { tag: "", source: "", role: "", creator: "" },
  selection: null, // { start, end } in UTF-16 units, while text is selected
  editing: null, // the span the editor is annotating (the selection moves into the form)
  activeId: null,
  pendingSources: [],
  knownTags: new Map(), // normalised name -> tag
  sources: new Map(), // normalised name, alias or label -> { slug, label }
  editingAnnotation: null, // the annotation the editor is editing (null: a new one)
  editorOpenedWith: "", // the editor's contents when it opened
  etags: new Map(), // annotation id -> { version, etag } as the server last sent them
};

// ---------------------------------------------------------------- code points and UTF-16

// utf16At[codePoint] = the UTF-16 index where that code point starts (and the end, at length).
const utf16At = (() => {
  const positions = [0];
  let unit = 0;
  for (const character of TEXT) {
    unit += character.length;
    positions.push(unit);
  }
  return positions;
})();

function toUtf16(codePoint) {
  return utf16At[Math.min(codePoint, utf16At.length - 1)];
}

// ------------------------------------------------------------------------------- dates

// One form for every date and time the reader shows, "2 Dec 2026, 03:50", in the reader's
// own time zone (the browser's), whatever the server's zone is.
const DATE_PARTS = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

function formatDate(value) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const part = Object.fromEntries(DATE_PARTS.formatToParts(date).map(({ type, value: text }) => [type, text]));
  return `${part.day} ${part.month} ${part.year}, ${part.hour}:${part.minute}`;
}

// ------------------------------------------------------------------------------- the API

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function api(url, { method = "GET", body, etag } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (etag) headers["If-Match"] = etag;
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  let data = null;
  if (response.status !== 204) {
    data = await response.json().catch(() => null);
  }
  return { ok: response.ok, status: response.status, data, etag: response.headers.get("ETag") };
}

function annotationUrl(id) {
  return config.annotationUrl.replace(/\/0\/$/, `/${id}/`);
}

function describeError(result) {
  const data = result.data || {};
  const parts = [data.detail || `The server answered ${result.status}.`];
  for (const [field, messages] of Object.entries(data)) {
    if (["detail", "code", "found", "current"].includes(field) || !Array.isArray(messages)) continue;
    parts.push(`${field}: ${messages.map((item) => (typeof item === "string" ? item : JSON.stringify(item))).join("; ")}`);
  }
  return parts.join(" ");
}

async function loadAnnotations() {
  const found = [];
  let url = `${config.annotationsUrl}?page_size=100`;
  while (url) {
    const result = await api(url);
    if (!result.ok) {
      statusLine.textContent = `Annotations could not be loaded: ${describeError(result)}`;
      return;
    }
    found.push(...result.data.results);
    url = result.data.next;
  }
  state.annotations = found;
  refreshFilters();
  render();
  openFromAddress();
  textElement.dataset.ready = "true";
}

// ------------------------------------------------------------------------------ drawing

function visibleAnnotations() {
  const { tag, source, role, creator } = state.filters;
  return state.annotations.filter(
    (item) =>
      (!tag || item.tags.some((t) => t.slug === tag)) &&
      (!source || item.source_tags.some((s) => s.source.slug === source)) &&
      (!role || item.source_tags.some((s) => s.role === role)) &&
      (!creator || item.creator === creator),
  );
}

function label(annotation) {
  const quote = annotation.quote.length > 60 ? `${annotation.quote.slice(0, 57)}…` : annotation.quote;
  const parts = [annotation.page_note ? `Page note by ${annotation.creator}` : `Annotation by ${annotation.creator} on “${quote}”`];
  if (annotation.comment) parts.push(annotation.comment.slice(0, 80));
  if (annotation.tags.length) parts.push(`tags: ${annotation.tags.map((t) => t.name).join(", ")}`);
  return parts.join(". ");
}

function pointAt(offset) {
  const walker = document.createTreeWalker(textElement, NodeFilter.SHOW_TEXT);
  let node;
  let last = null;
  while ((node = walker.nextNode())) {
    if (offset <= node.length) return [node, offset];
    offset -= node.length;
    last = node;
  }
  return last ? [last, last.length] : [textElement, 0];
}

// Where the selection (or the keyboard caret) is in the text, to put it back after the
// highlights are redrawn.
function savedSelection() {
  const selection = window.getSelection();
  if (!selection || !selection.rangeCount || !textElement.contains(selection.anchorNode)) return null;
  return {
    anchor: offsetWithin(textElement, selection.anchorNode, selection.anchorOffset),
    focus: offsetWithin(textElement, selection.focusNode, selection.focusOffset),
  };
}

function restoreSelection(saved) {
  if (!saved) return;
  const [anchorNode, anchorOffset] = pointAt(saved.anchor);
  const [focusNode, focusOffset] = pointAt(saved.focus);
  window.getSelection().setBaseAndExtent(anchorNode, anchorOffset, focusNode, focusOffset);
}

// Split the text at every annotation boundary; each piece is wrapped in one <mark> per
// annotation covering it, outermost (earliest, longest) first, so overlapping and nested
// annotations are all visible and each can be reached.
function render() {
  // Page notes have no passage to highlight: they are in the list only.
  const shown = visibleAnnotations()
    .filter((item) => !item.page_note)
    .map((item) => ({ item, start: toUtf16(item.start), end: toUtf16(item.end) }))
    .sort((a, b) => a.start - b.start || b.end - a.end || a.item.id - b.item.id);
  const cuts = new Set([0, TEXT.length]);
  for (const span of shown) {
    cuts.add(span.start);
    cuts.add(span.end);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const fragment = document.createDocumentFragment();
  const firstMark = new Map();
  for (let index = 0; index < points.length - 1; index += 1) {
    const from = points[index];
    const to = points[index + 1];
    let node = document.createTextNode(TEXT.slice(from, to));
    const covering = shown.filter((span) => span.start <= from && span.end >= to);
    for (let depth = covering.length - 1; depth >= 0; depth -= 1) {
      const { item } = covering[depth];
      const mark = document.createElement("mark");
      mark.className = "hl";
      mark.dataset.id = String(item.id);
      mark.dataset.visibility = item.visibility;
      mark.dataset.depth = String(depth);
      if (item.id === state.activeId) mark.classList.add("active");
      // The text stays text for a screen reader: every piece is described by the annotation
      // (aria-describedby), and the first piece is its keyboard stop, in reading order.
      mark.setAttribute("aria-describedby", `annotation-about-${item.id}`);
      if (!firstMark.has(item.id)) {
        firstMark.set(item.id, mark);
        mark.tabIndex = 0;
        mark.setAttribute("aria-keyshortcuts", "Enter");
        mark.id = `annotation-${item.id}`;
      }
      mark.append(node);
      node = mark;
    }
    fragment.append(node);
  }
  const about = document.getElementById("annotation-descriptions");
  about.replaceChildren(
    ...shown.map(({ item }) => {
      const description = element("span", `${label(item)}. Press Enter to open it.`);
      description.id = `annotation-about-${item.id}`;
      return description;
    }),
  );
  const saved = savedSelection();
  textElement.replaceChildren(fragment);
  restoreSelection(saved);
  const count = document.getElementById("annotation-count");
  const total = state.annotations.length;
  const listed = visibleAnnotations().length;
  count.textContent = listed === total ? `${total} annotation${total === 1 ? "" : "s"}` : `${listed} of ${total} annotations shown`;
  renderList();
  layoutFilters();
}

// ---------------------------------------------------------------- the list beside the text

const listSection = document.getElementById("annotation-list-section");
const listElement = document.getElementById("annotation-list");
const listSort = document.getElementById("list-sort");
const listToggle = document.getElementById("list-toggle");
const filterToggle = document.getElementById("filter-toggle");
const filterFields = document.getElementById("filter-fields");

// The annotations shown, in the list's order: j and k step through the same order.
function listedAnnotations() {
  const items = [...visibleAnnotations()];
  if (listSort.value === "newest") {
    return items.sort((a, b) => new Date(b.created_at) - new Date(a.created_at) || b.id - a.id);
  }
  const at = (item) => (item.page_note ? -1 : item.start);
  return items.sort((a, b) => at(a) - at(b) || (b.end || 0) - (a.end || 0) || a.id - b.id);
}

function roleLabel(role) {
  return (config.roles.find((item) => item.value === role) || {}).label || role;
}

function listItem(annotation) {
  const item = element("li");
  const button = element("button", undefined, "list-item");
  button.type = "button";
  button.dataset.id = String(annotation.id);
  button.id = `list-item-${annotation.id}`;
  if (annotation.id === state.activeId) {
    button.classList.add("active");
    button.setAttribute("aria-current", "true");
  }
  const quote = annotation.quote.length > 120 ? `${annotation.quote.slice(0, 117)}…` : annotation.quote;
  button.append(annotation.page_note ? element("span", "Page note: on the whole document", "list-quote page-note") : element("span", `“${quote}”`, "list-quote"));
  if (annotation.comment) {
    const comment = annotation.comment.length > 140 ? `${annotation.comment.slice(0, 137)}…` : annotation.comment;
    button.append(element("span", comment, "list-comment"));
  }
  const replies = annotation.reply_count || 0;
  const meta = element("span", undefined, "list-meta");
  meta.append(
    element("span", annotation.creator, "list-author"),
    element("span", formatDate(annotation.created_at), "list-date"),
    element("span", `${replies} repl${replies === 1 ? "y" : "ies"}`, "list-replies"),
  );
  button.append(meta);
  const labels = [
    ...annotation.tags.map((tag) => tag.name),
    ...annotation.source_tags.map((sourceTag) => `${roleLabel(sourceTag.role)}: ${sourceTag.source.name}`),
  ];
  if (labels.length) {
    const line = element("span", undefined, "list-labels");
    for (const text of labels) line.append(element("span", text, "chip"));
    button.append(line);
  }
  button.addEventListener("click", () => showAnnotation(annotation.id));
  item.append(button);
  return item;
}

function renderList() {
  const listed = listedAnnotations();
  listElement.replaceChildren(...listed.map(listItem));
  const empty = document.getElementById("list-empty");
  empty.hidden = listed.length > 0;
  if (!listed.length && state.annotations.length) empty.textContent = "No annotation matches the filters.";
  listToggle.textContent = `Annotations (${listed.length})`;
}

// The four filters take room only when there is something to filter and the screen is wide:
// otherwise they fold into one "Filter" button.
function layoutFilters() {
  const folded = phone.matches || state.annotations.length === 0;
  filterToggle.hidden = !folded;
  const active = Object.values(state.filters).filter(Boolean).length;
  filterToggle.textContent = active ? `Filter (${active})` : "Filter";
  filterFields.hidden = folded && filterToggle.getAttribute("aria-expanded") !== "true";
  filterFields.classList.toggle("folded", folded);
}

filterToggle.addEventListener("click", () => {
  const open = filterToggle.getAttribute("aria-expanded") !== "true";
  filterToggle.setAttribute("aria-expanded", String(open));
  layoutFilters();
  if (open) filterFields.querySelector("select").focus();
});

listSort.addEventListener("change", renderList);

// Scroll to an annotation's passage and open its panel: from the list, and by j and k.
function showAnnotation(id) {
  if (phone.matches && document.body.classList.contains("list-open")) closeList({ focus: false });
  openPanel(id);
  if (!phone.matches) {
    const mark = document.getElementById(`annotation-${id}`);
    if (mark) mark.scrollIntoView({ block: "center" });
  }
}

function stepAnnotation(direction) {
  const listed = listedAnnotations();
  if (!listed.length) return;
  const here = listed.findIndex((item) => item.id === state.activeId);
  let next;
  if (here === -1) next = direction > 0 ? 0 : listed.length - 1;
  else next = Math.min(Math.max(here + direction, 0), listed.length - 1);
  showAnnotation(listed[next].id);
  statusLine.textContent = `Annotation ${next + 1} of ${listed.length}.`;
}

// On a phone the list is a sheet, opened from the toolbar, modal like the panel's.
function openList() {
  if (!panel.hidden) closePanel({ focus: false });
  document.body.classList.add("list-open");
  listToggle.setAttribute("aria-expanded", "true");
  setSheetModal(true, listSection);
  listSection.focus();
}

function closeList({ focus = true } = {}) {
  document.body.classList.remove("list-open");
  listToggle.setAttribute("aria-expanded", "false");
  setSheetModal(false, listSection);
  if (focus) listToggle.focus();
}

listToggle.addEventListener("click", () => (document.body.classList.contains("list-open") ? closeList() : openList()));
document.getElementById("list-close").addEventListener("click", () => closeList());

function refreshFilters() {
  const options = { tag: new Map(), source: new Map(), role: new Map(), creator: new Map() };
  const roleLabels = new Map(config.roles.map((role) => [role.value, role.label]));
  for (const item of state.annotations) {
    for (const tag of item.tags) options.tag.set(tag.slug, tag.name);
    for (const sourceTag of item.source_tags) {
      options.source.set(sourceTag.source.slug, sourceTag.source.name);
      options.role.set(sourceTag.role, roleLabels.get(sourceTag.role) || sourceTag.role);
    }
    options.creator.set(item.creator, item.creator);
  }
  for (const [name, values] of Object.entries(options)) {
    const select = document.getElementById(`filter-${name}`);
    const current = state.filters[name];
    const all = new Option("All", "");
    select.replaceChildren(all, ...[...values].sort((a, b) => a[1].localeCompare(b[1])).map(([value, text]) => new Option(text, value)));
    select.value = values.has(current) ? current : "";
    state.filters[name] = select.value;
  }
}

// ------------------------------------------------------------------------------- panel

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

// On a phone the panel is a bottom sheet over the text: while it is open it is modal (the
// rest is inert, so Shift+Tab cannot reach a highlight it covers, WCAG 2.4.11), and the
// passage it is about is scrolled into the room above it.

function setSheetModal(on, sheet = panel) {
  // The title stays outside the inert part: the page keeps its h1 for a screen reader.
  const behind = [
    ...document.querySelectorAll("body > :not(main)"),
    ...document.querySelectorAll(".reader > :not(.doc-head), .doc-head > :not(h1)"),
    ...sheet.parentElement.children,
  ];
  for (const node of behind) if (node && node !== sheet) node.inert = on;
  document.body.classList.toggle("sheet-open", on);
}

// Tab and Shift+Tab go round inside the open sheet, as in a dialog.
function trapTab(sheet, event) {
  if (event.key !== "Tab" || !phone.matches) return;
  const stops = [...sheet.querySelectorAll("button, a[href], input, select, textarea, [tabindex='0']")].filter(
    (node) => !node.disabled && node.getClientRects().length,
  );
  if (!stops.length) return;
  const [first, last] = [stops[0], stops[stops.length - 1]];
  const active = document.activeElement;
  if (event.shiftKey && (active === first || active === sheet)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && active === last) {
    event.preventDefault();
    first.focus();
  }
}
panel.addEventListener("keydown", (event) => !panel.hidden && trapTab(panel, event));
listSection.addEventListener("keydown", (event) => document.body.classList.contains("list-open") && trapTab(listSection, event));

function showAboveSheet(id) {
  const mark = document.getElementById(`annotation-${id}`);
  if (!mark) return;
  const room = window.innerHeight - panel.getBoundingClientRect().height;
  const box = mark.getBoundingClientRect();
  window.scrollBy(0, box.top - Math.max(8, (room - box.height) / 3));
}

// The address bar shows the open annotation's permanent address (replaced, not pushed: the
// back button still leaves the page).
function showAddress(id) {
  const here = window.location.hash;
  if (id === null && !/^#annotation-\d+$/.test(here)) return;
  const hash = id === null ? "" : `#annotation-${id}`;
  if (here !== hash) history.replaceState(history.state, "", `${window.location.pathname}${window.location.search}${hash}`);
}

function closePanel({ focus = true } = {}) {
  const returnTo = state.activeId ? document.getElementById(`annotation-${state.activeId}`) : null;
  setSheetModal(false);
  panel.hidden = true;
  state.activeId = null;
  showAddress(null);
  render();
  if (focus) (returnTo ? document.getElementById(returnTo.id) : textElement)?.focus();
}

function openPanel(id, { others = [] } = {}) {
  const annotation = state.annotations.find((item) => item.id === id);
  if (!annotation) return;
  state.activeId = id;
  showAddress(id);
  render();
  panelBody.replaceChildren(...panelContent(annotation, others));
  panel.hidden = false;
  if (phone.matches) {
    setSheetModal(true);
    showAboveSheet(id);
  }
  if (phone.matches) {
    panel.focus({ preventScroll: true });
  } else {
    // The side column scrolls by itself beside the text: bring the panel to its top
    // without moving the page away from the passage.
    panel.focus({ preventScroll: true });
    panel.parentElement.scrollTop = 0;
  }
}

const VISIBILITY_NAMES = { private: "Private", group: "Group", public: "Public" };

function panelContent(annotation, others) {
  const nodes = [];
  nodes.push(annotation.page_note ? element("p", "Page note: on the whole document.", "quote page-note") : element("blockquote", annotation.quote, "quote"));
  const meta = element(
    "p",
    `${annotation.creator} · ${VISIBILITY_NAMES[annotation.visibility] || annotation.visibility}${annotation.group ? ` (${annotation.group.name})` : ""} · `,
    "annotation-meta",
  );
  meta.append(timeElement(annotation.created_at));
  if (annotation.version > 1) meta.append(" · edited ", timeElement(annotation.modified_at));
  nodes.push(meta);
  if (annotation.hidden) nodes.push(element("p", `Hidden by a curator${annotation.hidden_reason ? `: ${annotation.hidden_reason}` : ""}.`, "notice"));
  const comment = element("p", annotation.comment || "No comment.", annotation.comment ? "comment" : "comment muted");
  comment.id = "panel-comment";
  nodes.push(comment);
  const tags = element("div", undefined, "tagline");
  for (const tag of annotation.tags) tags.append(element("span", tag.name, "chip"));
  for (const sourceTag of annotation.source_tags) {
    const roleLabel = (config.roles.find((role) => role.value === sourceTag.role) || {}).label || sourceTag.role;
    tags.append(element("span", `${roleLabel}: ${sourceTag.source.name}`, "chip"));
  }
  if (tags.childElementCount) nodes.push(tags);

  if (others.length) {
    const list = element("p", "Also here: ", "others");
    for (const other of others) {
      const button = element("button", `“${other.quote.slice(0, 30)}${other.quote.length > 30 ? "…" : ""}” by ${other.creator}`);
      button.type = "button";
      button.addEventListener("click", () => openPanel(other.id, { others: others.filter((item) => item.id !== other.id).concat(annotation) }));
      list.append(button);
    }
    nodes.push(list);
  }

  const message = element("p", "", "error");
  message.id = "panel-message";
  message.hidden = true;
  message.setAttribute("role", "alert");
  nodes.push(message);

  const actions = element("div", undefined, "row");
  if (annotation.creator === config.user.username) {
    const edit = element("button", "Edit");
    edit.type = "button";
    edit.id = "panel-edit";
    edit.addEventListener("click", () => openEditor(annotation));
    actions.append(edit);
  }
  if (annotation.creator === config.user.username || config.user.isCurator) {
    const remove = element("button", "Delete", "danger");
    remove.type = "button";
    remove.id = "panel-delete";
    remove.addEventListener("click", () => confirmDelete(annotation, actions));
    actions.append(remove);
  }
  if (actions.childElementCount) nodes.push(actions);
  nodes.push(shareSection(annotation));

  nodes.push(element("h3", "Replies"));
  const replies = element("ul", undefined, "replies");
  replies.id = "panel-replies";
  nodes.push(replies);
  const replyForm = element("form", undefined, "stack");
  const replyLabel = element("label", "Reply");
  replyLabel.htmlFor = "reply-body";
  const replyBody = element("textarea");
  replyBody.id = "reply-body";
  replyBody.rows = 2;
  const replyButton = element("button", "Post reply");
  replyButton.type = "submit";
  replyForm.append(replyLabel, replyBody, replyButton);
  replyBody.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      replyForm.requestSubmit();
    }
  });
  replyForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await api(`${annotationUrl(annotation.id)}replies/`, { method: "POST", body: { body: replyBody.value } });
    if (!result.ok) {
      showPanelMessage(describeError(result));
      return;
    }
    replyBody.value = "";
    annotation.reply_count = (annotation.reply_count || 0) + 1;
    renderList();
    loadReplies(annotation, replies);
  });
  nodes.push(replyForm);
  loadReplies(annotation, replies);

  const history = element("details");
  history.append(element("summary", "History"));
  const historyList = element("ol", undefined, "history");
  history.append(historyList);
  history.addEventListener("toggle", async () => {
    if (!history.open || historyList.childElementCount) return;
    const result = await api(`${annotationUrl(annotation.id)}history/`);
    historyList.replaceChildren(...(result.data || []).map(revisionItem));
  });
  nodes.push(history);
  return nodes;
}

// ------------------------------------------------------------------ link and citation

// An annotation's permanent address: the reader, opened on it.
function permanentAddress(id) {
  return `${config.documentUrl}#annotation-${id}`;
}

function citationUrl(id) {
  return config.citationUrl.replace(/\/0\/citation\/$/, `/${id}/citation/`);
}

// Copy `text`; say so where `confirm` is. If the browser refuses the clipboard, `fallback`
// (a read-only field holding the text) is shown selected, to copy by hand.
async function copyText(text, confirm, fallback, what) {
  try {
    if (!navigator.clipboard) throw new Error("no clipboard");
    await navigator.clipboard.writeText(text);
    confirm.textContent = `${what} copied.`;
    // A field shown only because copying was refused goes away once copying works.
    if (fallback && fallback.dataset.fallback) fallback.hidden = true;
  } catch {
    confirm.textContent = `The browser did not let Kaynak copy: the ${what.toLowerCase()} is selected below, copy it with Ctrl+C (⌘+C).`;
    if (fallback) {
      fallback.hidden = false;
      const field = fallback.querySelector("input, textarea") || fallback;
      field.focus();
      field.select();
    }
  }
}

function readOnlyField(id, labelText, value, multiline) {
  const wrap = element("div", undefined, "stack share-field");
  const fieldLabel = element("label", labelText);
  fieldLabel.htmlFor = id;
  const field = element(multiline ? "textarea" : "input");
  field.id = id;
  field.readOnly = true;
  field.value = value;
  if (multiline) field.rows = multiline;
  field.addEventListener("focus", () => field.select());
  wrap.append(fieldLabel, field);
  return wrap;
}

function shareSection(annotation) {
  const section = element("div", undefined, "share");
  const row = element("div", undefined, "row");
  const copyLink = element("button", "Copy link");
  copyLink.type = "button";
  copyLink.id = "panel-copy-link";
  const cite = element("button", "Cite");
  cite.type = "button";
  cite.id = "panel-cite";
  cite.setAttribute("aria-expanded", "false");
  cite.setAttribute("aria-controls", "panel-citation");
  row.append(copyLink, cite);
  const confirm = element("p", "", "muted share-status");
  confirm.id = "panel-share-status";
  confirm.setAttribute("role", "status");
  const linkField = readOnlyField("panel-link-field", "Link to this annotation", permanentAddress(annotation.id));
  linkField.hidden = true;
  linkField.dataset.fallback = "true";
  const citation = element("div", undefined, "stack citation");
  citation.id = "panel-citation";
  citation.hidden = true;
  section.append(row, confirm, linkField, citation);

  copyLink.addEventListener("click", () => copyText(permanentAddress(annotation.id), confirm, linkField, "Link"));
  cite.addEventListener("click", async () => {
    if (!citation.hidden) {
      citation.hidden = true;
      cite.setAttribute("aria-expanded", "false");
      return;
    }
    const result = await api(citationUrl(annotation.id));
    if (!result.ok) {
      confirm.textContent = `The citation could not be made: ${describeError(result)}`;
      return;
    }
    const plain = readOnlyField("citation-text", "Citation, plain text", result.data.text, 5);
    const csl = readOnlyField("citation-csl", "Citation, CSL-JSON (Zotero, pandoc)", JSON.stringify([result.data.csl], null, 2), 8);
    const buttons = element("div", undefined, "row");
    const copyPlain = element("button", "Copy plain text");
    copyPlain.type = "button";
    copyPlain.id = "citation-copy-text";
    const copyCsl = element("button", "Copy CSL-JSON");
    copyCsl.type = "button";
    copyCsl.id = "citation-copy-csl";
    buttons.append(copyPlain, copyCsl);
    citation.replaceChildren(plain, csl, buttons);
    citation.hidden = false;
    cite.setAttribute("aria-expanded", "true");
    copyPlain.addEventListener("click", () => copyText(result.data.text, confirm, plain, "Citation"));
    copyCsl.addEventListener("click", () => copyText(csl.querySelector("textarea").value, confirm, csl, "CSL-JSON"));
    // Cite copies the plain text at once; both forms stay on show to copy either.
    copyText(result.data.text, confirm, plain, "Citation");
  });
  return section;
}

// The address's "#annotation-<id>" opens that annotation; one this user cannot read (or
// that is gone) gets the same notice either way, as the API answers both alike.
function openFromAddress() {
  const notice = document.getElementById("annotation-notice");
  const match = window.location.hash.match(/^#annotation-(\d+)$/);
  notice.hidden = true;
  if (!match) return;
  const id = Number(match[1]);
  const annotation = state.annotations.find((item) => item.id === id);
  if (!annotation) {
    notice.hidden = false;
    return;
  }
  if (!visibleAnnotations().includes(annotation)) {
    for (const name of Object.keys(state.filters)) state.filters[name] = "";
    for (const select of document.querySelectorAll("[data-filter]")) select.value = "";
  }
  showAnnotation(id);
}

window.addEventListener("hashchange", openFromAddress);

async function loadReplies(annotation, list) {
  const result = await api(`${annotationUrl(annotation.id)}replies/`);
  list.replaceChildren(...(result.data || []).map((reply) => replyItem(annotation, reply, list)));
  if (!list.childElementCount) list.append(element("li", "No replies yet.", "muted"));
}

function replyUrl(annotation, reply) {
  return `${annotationUrl(annotation.id)}replies/${reply.id}/`;
}

function timeElement(value) {
  const time = element("time", formatDate(value));
  time.dateTime = value;
  return time;
}

// A reply with its author and date; its author may edit or delete it, a curator hide it.
function replyItem(annotation, reply, list) {
  const item = element("li", undefined, "reply");
  item.id = `reply-${reply.id}`;
  const meta = element("p", undefined, "reply-meta");
  meta.append(element("strong", reply.author, "reply-author"), " · ", timeElement(reply.created_at));
  if (reply.modified_at) meta.append(" · edited ", timeElement(reply.modified_at));
  const body = element("p", reply.body, "reply-body");
  item.append(meta, body);
  if (reply.hidden) item.append(element("p", `Hidden by a curator${reply.hidden_reason ? `: ${reply.hidden_reason}` : ""}. Only its author and curators read it.`, "notice"));
  const actions = element("div", undefined, "row reply-actions");
  const button = (text, className) => {
    const node = element("button", text, className);
    node.type = "button";
    actions.append(node);
    return node;
  };
  if (reply.author === config.user.username) {
    button("Edit", "reply-edit").addEventListener("click", () => editReply(annotation, reply, item, list));
    button("Delete", "danger reply-delete").addEventListener("click", () => confirmReplyDelete(annotation, reply, actions, list));
  } else if (config.user.isCurator) {
    button(reply.hidden ? "Show" : "Hide", "reply-hide").addEventListener("click", () => hideReply(annotation, reply, actions, list));
  }
  if (actions.childElementCount) item.append(actions);
  return item;
}

// The ETag of the reply as shown: read it alone; if it moved on meanwhile, say so.
async function replyEtag(annotation, reply) {
  const result = await api(replyUrl(annotation, reply));
  if (!result.ok) return { problem: describeError(result) };
  if (result.data.version !== reply.version) return { problem: "This reply was changed meanwhile; its current text is shown." };
  return { etag: result.etag };
}

function replyProblem(item, text) {
  let message = item.querySelector(".reply-error");
  if (!message) {
    message = element("p", "", "error reply-error");
    message.setAttribute("role", "alert");
    item.append(message);
  }
  message.textContent = text;
}

function editReply(annotation, reply, item, list) {
  const area = element("textarea");
  area.value = reply.body;
  area.rows = 3;
  area.className = "reply-editor";
  area.setAttribute("aria-label", "Edit your reply");
  const save = element("button", "Save reply", "primary");
  save.type = "button";
  const cancel = element("button", "Cancel");
  cancel.type = "button";
  const row = element("div", undefined, "row");
  row.append(save, cancel);
  const form = element("div", undefined, "stack reply-form");
  form.append(area, row);
  item.querySelector(".reply-body").replaceWith(form);
  item.querySelector(".reply-actions")?.remove();
  area.focus();
  cancel.addEventListener("click", () => loadReplies(annotation, list));
  const submit = async () => {
    const { etag, problem } = await replyEtag(annotation, reply);
    if (problem) return replyProblem(item, `${problem} Your text is kept here.`);
    const result = await api(replyUrl(annotation, reply), { method: "PATCH", body: { body: area.value }, etag });
    if (!result.ok) return replyProblem(item, `${describeError(result)} Your text is kept here.`);
    loadReplies(annotation, list);
  };
  save.addEventListener("click", submit);
  area.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      submit();
    }
  });
}

function confirmReplyDelete(annotation, reply, actions, list) {
  const row = element("div", undefined, "row");
  row.append(element("span", "Delete this reply? Its history is kept."));
  const yes = element("button", "Delete", "danger reply-confirm-delete");
  yes.type = "button";
  const no = element("button", "Keep");
  no.type = "button";
  row.append(yes, no);
  actions.replaceWith(row);
  no.addEventListener("click", () => loadReplies(annotation, list));
  yes.addEventListener("click", async () => {
    const { etag, problem } = await replyEtag(annotation, reply);
    if (problem) return replyProblem(row.parentElement, problem);
    const result = await api(replyUrl(annotation, reply), { method: "DELETE", etag });
    if (!result.ok) return replyProblem(row.parentElement, describeError(result));
    annotation.reply_count = Math.max(0, (annotation.reply_count || 1) - 1);
    renderList();
    loadReplies(annotation, list);
    statusLine.textContent = "Reply deleted.";
  });
}

function hideReply(annotation, reply, actions, list) {
  const url = `${replyUrl(annotation, reply)}hide/`;
  if (reply.hidden) {
    api(url, { method: "DELETE" }).then(() => loadReplies(annotation, list));
    return;
  }
  const row = element("div", undefined, "row");
  const reason = element("input");
  reason.className = "reply-hide-reason";
  reason.setAttribute("aria-label", "Reason for hiding (recorded)");
  reason.placeholder = "Reason (recorded)";
  const yes = element("button", "Hide", "danger reply-confirm-hide");
  yes.type = "button";
  row.append(reason, yes);
  actions.replaceWith(row);
  reason.focus();
  yes.addEventListener("click", async () => {
    const result = await api(url, { method: "POST", body: { reason: reason.value } });
    if (!result.ok) return replyProblem(row.parentElement, describeError(result));
    loadReplies(annotation, list);
  });
}

// ---------------------------------------------------------------------------- history

const ACTIONS = { created: "Created", updated: "Edited", hidden: "Hidden by a curator", unhidden: "Shown again by a curator", deleted: "Deleted" };
const FIELDS = { comment: "Comment", tags: "Tags", source_tags: "Sources", visibility: "Who can see it", group: "Group", hidden: "Hidden" };

function sourceName(slug) {
  for (const item of state.annotations) {
    for (const sourceTag of item.source_tags) if (sourceTag.source.slug === slug) return sourceTag.source.name;
  }
  for (const known of state.sources.values()) if (known.slug === slug) return known.label;
  return slug;
}

function readableValue(field, value) {
  if (value === null || value === undefined || value === "") return "none";
  if (field === "comment") return `“${value}”`;
  if (field === "tags") return value.length ? value.join(", ") : "none";
  if (field === "source_tags") return value.length ? value.map(([slug, chosen]) => `${roleLabel(chosen)} ${sourceName(slug)}`).join("; ") : "none";
  if (field === "visibility") return (config.visibilities.find((item) => item.value === value) || {}).label || value;
  if (field === "group") return (config.user.groups.find((item) => item.id === value) || {}).name || "a group you are not in";
  if (field === "hidden") return value ? "yes" : "no";
  return String(value);
}

function revisionItem(revision) {
  const item = element("li");
  const head = element("p", undefined, "revision-head");
  head.append(element("strong", ACTIONS[revision.action] || revision.action), ` by ${revision.actor || "Kaynak itself"} · `, timeElement(revision.occurred_at));
  item.append(head);
  const changes = element("ul", undefined, "revision-changes");
  // In one order whatever order the server's JSON keeps: the passage itself is left out, as
  // it never changes after creation.
  for (const field of Object.keys(FIELDS)) {
    if (!(field in revision.changes)) continue;
    const change = revision.changes[field];
    const created = revision.action === "created";
    if (created && (change.after === "" || (Array.isArray(change.after) && !change.after.length) || change.after === null)) continue;
    let text;
    if (!("before" in change) && !("after" in change)) text = `${FIELDS[field]} changed (not shown: you could not read it then)`;
    else if (created) text = `${FIELDS[field]}: ${readableValue(field, change.after)}`;
    else text = `${FIELDS[field]}: ${"before" in change ? readableValue(field, change.before) : "(not shown)"} → ${"after" in change ? readableValue(field, change.after) : "(not shown)"}`;
    changes.append(element("li", text));
  }
  if (changes.childElementCount) item.append(changes);
  if (revision.reason) item.append(element("p", `Reason: ${revision.reason}`, "muted"));
  return item;
}


function showPanelMessage(text) {
  const message = document.getElementById("panel-message");
  message.textContent = text;
  message.hidden = false;
}

function remember(result) {
  // The ETag is the server's to format: keep the one it sent, never rebuild it.
  if (result.etag && result.data && result.data.id !== undefined) {
    state.etags.set(result.data.id, { version: result.data.version, etag: result.etag });
  }
}

async function etagFor(annotation) {
  // The ETag of the version shown. An annotation read from the list came without one: read it
  // alone, and if it moved on meanwhile say so (as a 412 would) instead of sending the new tag.
  const known = state.etags.get(annotation.id);
  if (known && known.version === annotation.version) return { etag: known.etag };
  const result = await api(annotationUrl(annotation.id));
  if (!result.ok) return { result };
  remember(result);
  if (result.data.version !== annotation.version) return { current: result.data };
  return { etag: result.etag };
}

function showStale(current) {
  // Someone else saved first: show what is there now instead of overwriting it.
  replaceAnnotation(current);
  refreshFilters();
  openPanel(current.id);
  showPanelMessage(`This annotation was changed by someone else (it is now at version ${current.version}). The current text is shown; your edit was not saved.`);
}

function replaceAnnotation(updated) {
  state.annotations = state.annotations.map((item) => (item.id === updated.id ? updated : item));
}

function confirmDelete(annotation, actions) {
  const mine = annotation.creator === config.user.username;
  const confirmRow = element("div", undefined, "stack");
  confirmRow.append(element("p", "Delete this annotation? Its history is kept."));
  let reason = null;
  if (!mine) {
    reason = element("input");
    reason.id = "delete-reason";
    reason.placeholder = "Reason (recorded)";
    reason.setAttribute("aria-label", "Reason for deleting");
    confirmRow.append(reason);
  }
  const yes = element("button", "Delete", "danger");
  yes.type = "button";
  yes.id = "panel-confirm-delete";
  const no = element("button", "Keep");
  no.type = "button";
  confirmRow.append(yes, no);
  actions.replaceWith(confirmRow);
  no.addEventListener("click", () => openPanel(annotation.id));
  yes.addEventListener("click", async () => {
    const { etag, current, result: failed } = await etagFor(annotation);
    if (current) return showStale(current);
    if (failed) return showPanelMessage(describeError(failed));
    const query = reason ? `?reason=${encodeURIComponent(reason.value)}` : "";
    const result = await api(`${annotationUrl(annotation.id)}${query}`, { method: "DELETE", etag });
    if (result.status === 412) {
      state.etags.set(result.data.current.id, { version: result.data.current.version, etag: result.etag });
      return showStale(result.data.current);
    }
    if (!result.ok) {
      showPanelMessage(describeError(result));
      return;
    }
    state.annotations = state.annotations.filter((item) => item.id !== annotation.id);
    refreshFilters();
    closePanel();
    statusLine.textContent = "Annotation deleted.";
  });
}

// -------------------------------------------------------------------------- selection

function offsetWithin(container, node, offset) {
  const range = document.createRange();
  range.setStart(container, 0);
  range.setEnd(node, offset);
  return range.toString().length; // UTF-16 units, as the marks add no text
}

function currentSelection() {
  const selection = window.getSelection();
  if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  if (!textElement.contains(range.startContainer) || !textElement.contains(range.endContainer)) return null;
  let start = offsetWithin(textElement, range.startContainer, range.startOffset);
  let end = offsetWithin(textElement, range.endContainer, range.endOffset);
  [start, end] = [Math.min(start, end), Math.max(start, end)];
  // Word steps (Ctrl+Shift+→) and double clicks take the space beside a word; the quote
  // is the words only.
  while (start < end && /\s/.test(TEXT[start])) start += 1;
  while (end > start && /\s/.test(TEXT[end - 1])) end -= 1;
  if (start === end) return null;
  return { start, end };
}

function noteSelection() {
  state.selection = currentSelection();
  annotateButton.disabled = !state.selection;
}

document.addEventListener("selectionchange", noteSelection);

// Keyboard selection: the text takes arrow keys; Shift extends, Ctrl moves by words.
textElement.addEventListener("keydown", (event) => {
  const direction = { ArrowLeft: "backward", ArrowRight: "forward", ArrowUp: "backward", ArrowDown: "forward" }[event.key];
  if (!direction || event.target !== textElement) return;
  const selection = window.getSelection();
  if (!selection.rangeCount || !textElement.contains(selection.anchorNode)) {
    selection.collapse(textElement.firstChild || textElement, 0);
  }
  const granularity = event.key === "ArrowUp" || event.key === "ArrowDown" ? "line" : event.ctrlKey || event.altKey ? "word" : "character";
  const before = savedSelection();
  selection.modify(event.shiftKey ? "extend" : "move", direction, granularity);
  event.preventDefault();
  // The selection never leaves the text: past its first or last line it stops at the edge
  // (instead of taking the toolbar, or wrapping round to the start).
  const after = savedSelection();
  const outside = !textElement.contains(selection.focusNode);
  const wrapped = after && before && (direction === "forward" ? after.focus < before.focus : after.focus > before.focus);
  if (outside || wrapped) {
    const edge = direction === "forward" ? TEXT.length : 0;
    restoreSelection({ anchor: event.shiftKey && before ? before.anchor : edge, focus: edge });
  }
  noteSelection();
});

textElement.addEventListener("focus", () => {
  const selection = window.getSelection();
  if (!selection.rangeCount || !textElement.contains(selection.anchorNode)) {
    selection.collapse(textElement.firstChild || textElement, 0);
  }
});

// --------------------------------------------------------------------------- editor

// Names match as the server matches them: ignoring case and diacritics, Turkish dotted and
// dotless i included ("İzmir", "izmir" and "Izmir" are one name).
function normalise(name) {
  return name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").replace(/[İIı]/g, "i").toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim();
}

async function loadTagSuggestions() {
  const result = await api(`${config.tagsUrl}?page_size=100`);
  const list = document.getElementById("tag-suggestions");
  list.replaceChildren();
  for (const tag of result.data ? result.data.results : []) {
    state.knownTags.set(normalise(tag.name), tag);
    const option = document.createElement("option");
    option.value = tag.name;
    option.label = tag.curated ? `${tag.name} (curated)` : tag.name;
    list.append(option);
  }
}

const sourceInput = document.getElementById("editor-source");
const editorError = document.getElementById("editor-error");

function sourceLabel(source) {
  return `${source.name} (${source.kind.replace("_", " ")})`;
}

// Every name a source answers to (its label in the suggestions, its name, its aliases),
// normalised, so a source typed in any case or without its accents is found.
function learnSources(sources) {
  for (const source of sources) {
    const known = { slug: source.slug, label: sourceLabel(source) };
    for (const name of [known.label, source.name, ...source.aliases]) state.sources.set(normalise(name), known);
  }
}

async function lookUpSources(query) {
  const result = await api(`${config.sourcesUrl}?q=${encodeURIComponent(query)}&page_size=20`);
  const found = result.data ? result.data.results : [];
  learnSources(found);
  return found;
}

let sourceLookup = 0;
sourceInput.addEventListener("input", (event) => {
  const query = event.target.value.trim();
  clearTimeout(sourceLookup);
  if (query.length < 2) return;
  sourceLookup = setTimeout(async () => {
    const found = await lookUpSources(query);
    const list = document.getElementById("source-suggestions");
    list.replaceChildren(
      ...found.map((source) => {
        const option = document.createElement("option");
        option.value = sourceLabel(source);
        return option;
      }),
    );
  }, 150);
});

// The source typed in the field, whether or not it was picked from the suggestions: one of
// its names in full, or the start of a name only one source has.
async function typedSource(text) {
  const key = normalise(text);
  if (!key) return { found: null, candidates: [] };
  if (state.sources.has(key)) return { found: state.sources.get(key), candidates: [] };
  const candidates = await lookUpSources(text.replace(/\s*\([^)]*\)\s*$/, ""));
  if (state.sources.has(key)) return { found: state.sources.get(key), candidates };
  if (candidates.length === 1) return { found: state.sources.get(normalise(candidates[0].name)), candidates };
  return { found: null, candidates };
}

function drawPendingSources() {
  const list = document.getElementById("editor-sources");
  list.replaceChildren(
    ...state.pendingSources.map((item, index) => {
      const chip = element("li", undefined, "chip");
      chip.append(element("span", `${item.roleLabel}: ${item.label}`));
      const remove = element("button", "×");
      remove.type = "button";
      remove.setAttribute("aria-label", `Remove ${item.label}`);
      remove.addEventListener("click", () => {
        state.pendingSources.splice(index, 1);
        drawPendingSources();
      });
      chip.append(remove);
      return chip;
    }),
  );
}

function showEditorError(text) {
  editorError.textContent = text;
  editorError.hidden = false;
}

// Add what the source field holds; false (with the reason shown) if it names no source.
async function addTypedSource() {
  const text = sourceInput.value.trim();
  if (!text) return true;
  const { found, candidates } = await typedSource(text);
  if (!found) {
    const which = candidates.length
      ? `“${text}” could be ${candidates.slice(0, 5).map((source) => source.name).join(", ")}, so it was not added: choose one from the suggestions`
      : `No source is called “${text}”, so it was not added: choose one from the suggestions (type two letters of any of its names)`;
    showEditorError(`${which}, or clear the Source field.`);
    sourceInput.focus();
    return false;
  }
  const chosenRole = document.getElementById("editor-role");
  if (!state.pendingSources.some((item) => item.source === found.slug && item.role === chosenRole.value)) {
    state.pendingSources.push({ source: found.slug, role: chosenRole.value, label: found.label, roleLabel: chosenRole.selectedOptions[0].textContent });
  }
  sourceInput.value = "";
  editorError.hidden = true;
  drawPendingSources();
  return true;
}

document.getElementById("editor-add-source").addEventListener("click", addTypedSource);
sourceInput.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
    event.preventDefault();
    addTypedSource();
  }
});

// What the form holds, to tell whether anything was typed since it opened.
function editorContents() {
  return JSON.stringify([
    document.getElementById("editor-comment").value,
    document.getElementById("editor-tags").value,
    sourceInput.value,
    state.pendingSources.map(({ source, role: chosen }) => [source, chosen]),
    visibility.value,
    group.value,
  ]);
}

function setVisibility(value, groupId) {
  visibility.value = value;
  if (groupId) group.value = String(groupId);
  const needsGroup = visibility.value === "group";
  group.hidden = !needsGroup;
  document.getElementById("editor-group-label").hidden = !needsGroup;
}

// The editor annotates a new selection, or (given an annotation) edits everything its
// author said of it: comment, tags, sources with roles and visibility, saved as one revision.
function openEditor(annotation = null, { pageNote = false } = {}) {
  if (annotation) {
    state.editing = null;
    state.editingAnnotation = annotation;
  } else if (pageNote) {
    state.editing = { pageNote: true };
    state.editingAnnotation = null;
  } else {
    const selection = currentSelection() || state.selection;
    if (!selection) return;
    state.editing = selection;
    state.editingAnnotation = null;
  }
  const onPage = annotation ? annotation.page_note : pageNote;
  const quote = onPage ? "The whole document" : annotation ? annotation.quote : TEXT.slice(state.editing.start, state.editing.end);
  document.getElementById("editor-title").textContent = annotation ? "Edit annotation" : onPage ? "Page note" : "Annotate";
  document.getElementById("editor-save").textContent = annotation ? "Save changes" : "Save annotation";
  document.getElementById("editor-quote").textContent = quote;
  document.getElementById("editor-comment").value = annotation ? annotation.comment : "";
  document.getElementById("editor-tags").value = annotation ? annotation.tags.map((tag) => tag.name).join(", ") : "";
  sourceInput.value = "";
  editorError.hidden = true;
  document.getElementById("editor-discard").hidden = true;
  state.pendingSources = annotation
    ? annotation.source_tags.map((sourceTag) => ({ source: sourceTag.source.slug, role: sourceTag.role, label: sourceTag.source.name, roleLabel: roleLabel(sourceTag.role) }))
    : [];
  setVisibility(annotation ? annotation.visibility : visibility.options[0].value, annotation && annotation.group ? annotation.group.id : null);
  drawPendingSources();
  loadTagSuggestions();
  editor.showModal();
  state.editorOpenedWith = editorContents();
  document.getElementById("editor-comment").focus();
}

const visibility = document.getElementById("editor-visibility");
const group = document.getElementById("editor-group");
for (const option of config.visibilities) {
  if (option.value === "group" && !config.user.groups.length) continue;
  visibility.append(new Option(option.label, option.value));
}
for (const item of config.user.groups) group.append(new Option(item.name, String(item.id)));
const role = document.getElementById("editor-role");
for (const option of config.roles) role.append(new Option(option.label, option.value));
visibility.addEventListener("change", () => setVisibility(visibility.value));

async function ensureTags(names) {
  for (const name of names) {
    if (state.knownTags.has(normalise(name))) continue;
    const result = await api(config.tagsUrl, { method: "POST", body: { name } });
    if (result.ok) state.knownTags.set(normalise(name), result.data);
    else if (result.data && result.data.code !== "tag_exists") throw new Error(describeError(result));
  }
}

function editorBody(tags) {
  return {
    comment: document.getElementById("editor-comment").value,
    tags,
    source_tags: state.pendingSources.map(({ source, role: chosen }) => ({ source, role: chosen })),
    visibility: visibility.value,
    group: visibility.value === "group" ? Number(group.value) : null,
  };
}

async function saveEdit(annotation, body) {
  const { etag, current, result: failed } = await etagFor(annotation);
  let result = failed;
  if (!current && !failed) result = await api(annotationUrl(annotation.id), { method: "PATCH", body, etag });
  const newer = current || (result.status === 412 ? result.data.current : null);
  if (newer) {
    // Someone saved first. What was typed stays in the form; the panel behind shows theirs.
    if (result && result.status === 412) state.etags.set(newer.id, { version: newer.version, etag: result.etag });
    replaceAnnotation(newer);
    state.editingAnnotation = newer;
    state.panelOutOfDate = true;
    refreshFilters();
    showEditorError(`This annotation was changed by someone else (it is now at version ${newer.version}); your changes were not saved and are still here. Save again to replace that version with yours, or cancel to keep it.`);
    return null;
  }
  return result;
}

document.getElementById("editor-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!(await addTypedSource())) return;
  const tags = document.getElementById("editor-tags").value.split(",").map((name) => name.trim()).filter(Boolean);
  try {
    await ensureTags(tags);
  } catch (problem) {
    showEditorError(problem.message);
    return;
  }
  const editing = state.editingAnnotation;
  let result;
  if (editing) {
    result = await saveEdit(editing, editorBody(tags));
    if (!result) return;
  } else {
    const { start, end, pageNote } = state.editing;
    const target = pageNote ? { page_note: true } : { start, end, offset_unit: "utf16", quote: TEXT.slice(start, end) };
    result = await api(config.annotationsUrl, { method: "POST", body: { ...target, ...editorBody(tags) } });
  }
  if (!result.ok) {
    showEditorError(describeError(result));
    return;
  }
  editor.close();
  remember(result);
  if (editing) {
    replaceAnnotation({ ...result.data, reply_count: editing.reply_count });
  } else {
    window.getSelection().removeAllRanges();
    state.annotations.push(result.data);
  }
  refreshFilters();
  openPanel(result.data.id);
  statusLine.textContent = editing ? "Changes saved." : "Annotation saved.";
});

// Ctrl+Enter (⌘+Enter) saves from any field of the editor.
editor.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    document.getElementById("editor-form").requestSubmit();
  }
});

// Esc and Cancel close at once when nothing was typed; otherwise they ask first.
function askToClose() {
  if (editorContents() === state.editorOpenedWith) {
    editor.close();
    return;
  }
  document.getElementById("editor-discard").hidden = false;
  document.getElementById("editor-keep").focus();
}

// The panel behind an edit refused as stale shows the version saved meanwhile.
editor.addEventListener("close", () => {
  if (!state.panelOutOfDate) return;
  state.panelOutOfDate = false;
  if (state.activeId && !panel.hidden) openPanel(state.activeId);
});

editor.addEventListener("cancel", (event) => {
  event.preventDefault();
  askToClose();
});
document.getElementById("editor-cancel").addEventListener("click", askToClose);
document.getElementById("editor-discard-yes").addEventListener("click", () => editor.close());
document.getElementById("editor-keep").addEventListener("click", () => {
  document.getElementById("editor-discard").hidden = true;
  document.getElementById("editor-comment").focus();
});
annotateButton.addEventListener("click", () => openEditor());
document.getElementById("page-note-button").addEventListener("click", () => openEditor(null, { pageNote: true }));
// Keep the selection when the button takes the mouse down.
annotateButton.addEventListener("mousedown", (event) => event.preventDefault());

// ----------------------------------------------------------------- clicks and keys

textElement.addEventListener("click", (event) => {
  const mark = event.target.closest("mark.hl");
  if (!mark || !window.getSelection().isCollapsed) return;
  const here = [...event.composedPath()].filter((node) => node.matches && node.matches("mark.hl"));
  const ids = here.map((node) => Number(node.dataset.id));
  const others = ids.slice(1).map((id) => state.annotations.find((item) => item.id === id)).filter(Boolean);
  openPanel(ids[0], { others });
});

textElement.addEventListener("keydown", (event) => {
  const mark = event.target.closest && event.target.closest("mark.hl");
  if (mark && (event.key === "Enter" || event.key === " ")) {
    event.preventDefault();
    const id = Number(mark.dataset.id);
    const others = [];
    let outer = mark.parentElement;
    while (outer && outer !== textElement) {
      if (outer.matches("mark.hl")) others.push(state.annotations.find((item) => item.id === Number(outer.dataset.id)));
      outer = outer.parentElement;
    }
    for (const inner of mark.querySelectorAll("mark.hl")) {
      const item = state.annotations.find((candidate) => candidate.id === Number(inner.dataset.id));
      if (item && !others.includes(item) && item.id !== id) others.push(item);
    }
    openPanel(id, { others: others.filter(Boolean) });
  }
});

// Focusing an annotation's keyboard stop marks all its pieces (nesting splits it).
textElement.addEventListener("focusin", (event) => {
  const mark = event.target.closest && event.target.closest("mark.hl");
  if (!mark) return;
  for (const piece of textElement.querySelectorAll(`mark.hl[data-id="${mark.dataset.id}"]`)) piece.classList.add("focused");
});
textElement.addEventListener("focusout", () => {
  for (const piece of textElement.querySelectorAll("mark.hl.focused")) piece.classList.remove("focused");
});

document.addEventListener("keydown", (event) => {
  const typing = event.target.closest && event.target.closest("input, textarea, select, dialog");
  if (event.key === "Escape" && !editor.open && !keysHelp.open && !panel.hidden) {
    closePanel();
    return;
  }
  if (event.key === "Escape" && document.body.classList.contains("list-open")) {
    closeList();
    return;
  }
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "?") {
    event.preventDefault();
    openHelp();
    return;
  }
  if (event.key === "j" || event.key === "k") {
    event.preventDefault();
    stepAnnotation(event.key === "j" ? 1 : -1);
    return;
  }
  if ((event.key === "a" || event.key === "A") && currentSelection()) {
    event.preventDefault();
    openEditor();
  }
});

document.getElementById("panel-close").addEventListener("click", closePanel);

for (const select of document.querySelectorAll("[data-filter]")) {
  select.addEventListener("change", () => {
    state.filters[select.dataset.filter] = select.value;
    render();
  });
}

// The keys, on "?" or the toolbar's Keys button.
const keysHelp = document.getElementById("keys-help");
function openHelp() {
  if (!keysHelp.open) keysHelp.showModal();
  document.getElementById("keys-close").focus();
}
document.getElementById("help-button").addEventListener("click", openHelp);
document.getElementById("keys-close").addEventListener("click", () => keysHelp.close());

// Times the server wrote (in its zone) are shown in the reader's, in the one form.
for (const time of document.querySelectorAll("time[data-local]")) time.textContent = formatDate(time.dateTime);

phone.addEventListener("change", () => {
  if (!phone.matches && document.body.classList.contains("list-open")) closeList({ focus: false });
  layoutFilters();
});

loadAnnotations();
