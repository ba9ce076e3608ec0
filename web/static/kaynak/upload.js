// Several files at once: each goes, one after another, through the same ingest as a single
// upload (POST /api/documents/), with its own progress and outcome, then a summary. Without
// this script the form still uploads one file to the page. Text comes from the server's JSON
// and is set as text, never parsed as HTML.

const form = document.getElementById("upload-form");
const input = document.getElementById("id_file");
const box = document.getElementById("upload-progress");
const list = document.getElementById("upload-list");
const summary = document.getElementById("upload-summary");
const submit = document.getElementById("upload-submit");
const token = form.querySelector("input[name=csrfmiddlewaretoken]").value;

function resultUrl(id) {
  return form.dataset.resultUrl.replace(/\/0\/$/, `/${id}/`);
}

function row(file) {
  const item = document.createElement("li");
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = file.name;
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = 0;
  bar.setAttribute("aria-label", `Sending ${file.name}`);
  const state = document.createElement("span");
  state.className = "state";
  state.textContent = "waiting";
  item.append(name, bar, state);
  list.append(item);
  return { item, bar, state };
}

function send(file, shown) {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open("POST", form.dataset.apiUrl);
    request.setRequestHeader("X-CSRFToken", token);
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) shown.bar.value = Math.round((event.loaded / event.total) * 100);
    });
    request.addEventListener("load", () => {
      let body = {};
      try {
        body = JSON.parse(request.responseText);
      } catch {
        body = { detail: `the server answered ${request.status}` };
      }
      resolve({ status: request.status, body });
    });
    request.addEventListener("error", () => resolve({ status: 0, body: { detail: "the connection failed" } }));
    const data = new FormData();
    data.append("file", file);
    shown.state.textContent = "sending…";
    request.send(data);
  });
}

function link(text, href) {
  const anchor = document.createElement("a");
  anchor.href = href;
  anchor.textContent = text;
  return anchor;
}

function show(shown, outcome) {
  shown.bar.value = 100;
  const { status, body } = outcome;
  if (status === 201 || status === 200) {
    const stored = status === 201;
    shown.item.classList.add(stored ? "stored" : "duplicate");
    shown.state.textContent = stored ? "stored" : "duplicate";
    const detail = document.createElement("span");
    detail.append(stored ? "as " : "already in the archive as ", link(body.title, resultUrl(body.id)));
    shown.item.append(detail);
    if (body.read && body.read.warning) {
      const warning = document.createElement("span");
      warning.className = "muted read-warning";
      warning.textContent = body.read.warning;
      shown.item.append(warning);
    }
    return stored ? "stored" : "duplicate";
  }
  shown.item.classList.add("refused");
  shown.state.textContent = "refused";
  const reason = document.createElement("span");
  reason.className = "reason";
  reason.textContent = body.detail || `the server answered ${status}`;
  shown.item.append(reason);
  return "refused";
}

function describe(counts, total, done) {
  const parts = [
    `${counts.stored} stored`,
    `${counts.duplicate} duplicate${counts.duplicate === 1 ? "" : "s"}`,
    `${counts.refused} refused`,
  ];
  const head = done === total ? `Done: ${total} file${total === 1 ? "" : "s"}` : `${done} of ${total} files`;
  return `${head} · ${parts.join(", ")}.`;
}

async function uploadAll(files) {
  if (!files.length) return;
  submit.disabled = true;
  box.hidden = false;
  list.replaceChildren();
  const rows = files.map(row);
  const counts = { stored: 0, duplicate: 0, refused: 0 };
  summary.textContent = describe(counts, files.length, 0);
  for (const [index, file] of files.entries()) {
    counts[show(rows[index], await send(file, rows[index]))] += 1;
    summary.textContent = describe(counts, files.length, index + 1);
  }
  summary.dataset.done = "true";
  submit.disabled = false;
  form.reset();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  uploadAll([...input.files]);
});

// Dropping files anywhere on the form uploads them at once.
for (const name of ["dragenter", "dragover"]) {
  form.addEventListener(name, (event) => {
    event.preventDefault();
    form.classList.add("dragging");
  });
}
form.addEventListener("dragleave", () => form.classList.remove("dragging"));
form.addEventListener("drop", (event) => {
  event.preventDefault();
  form.classList.remove("dragging");
  uploadAll([...event.dataTransfer.files]);
});
