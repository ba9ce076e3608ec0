// The reader's facsimile viewer: a thumbnail opens the display image in a dialog with zoom.
// Only URLs and sizes the server rendered into data attributes are used; nothing is built
// from HTML strings.

const viewer = document.getElementById("facsimile-viewer");
const image = document.getElementById("viewer-image");
const frame = document.getElementById("viewer-frame");
const title = document.getElementById("viewer-title");
const zoomOutput = document.getElementById("viewer-zoom");
const download = document.getElementById("viewer-download");
const zoomIn = document.getElementById("viewer-zoom-in");
const zoomOut = document.getElementById("viewer-zoom-out");

// Zoom is relative to the image fitted in the dialog; beyond the display image's own pixels
// there is nothing more to see, so the steps stop at 4x.
const LEVELS = [1, 1.5, 2, 3, 4];
let level = 0;
let opener = null;
let fitted = { width: 0, height: 0 };

function fitSize() {
  const width = Number(image.dataset.width) || image.naturalWidth || 1;
  const height = Number(image.dataset.height) || image.naturalHeight || 1;
  const scale = Math.min(1, frame.clientWidth / width, frame.clientHeight / height);
  return { width: Math.max(1, Math.floor(width * scale)), height: Math.max(1, Math.floor(height * scale)) };
}

function applyZoom(next) {
  level = Math.max(0, Math.min(LEVELS.length - 1, next));
  if (level === 0) fitted = fitSize();
  const factor = LEVELS[level];
  image.style.width = `${Math.round(fitted.width * factor)}px`;
  image.style.height = `${Math.round(fitted.height * factor)}px`;
  frame.classList.toggle("zoomed", level > 0);
  zoomOutput.value = `${Math.round(factor * 100)} %`;
  zoomOutput.textContent = zoomOutput.value;
  viewer.dataset.zoom = String(factor);
  zoomOut.disabled = level === 0;
  zoomIn.disabled = level === LEVELS.length - 1;
}

function open(button) {
  opener = button;
  viewer.dataset.ready = "false";
  title.textContent = button.dataset.title;
  image.alt = `${button.dataset.title}, as printed`;
  image.dataset.width = button.dataset.width;
  image.dataset.height = button.dataset.height;
  download.href = button.dataset.originalUrl;
  image.style.width = "";
  image.style.height = "";
  viewer.showModal();
  frame.focus();
  image.onload = () => {
    applyZoom(0);
    viewer.dataset.ready = "true";
  };
  image.src = button.dataset.displayUrl;
}

for (const button of document.querySelectorAll(".facsimile-thumb")) {
  button.addEventListener("click", () => open(button));
}

zoomIn.addEventListener("click", () => applyZoom(level + 1));
zoomOut.addEventListener("click", () => applyZoom(level - 1));
document.getElementById("viewer-fit").addEventListener("click", () => applyZoom(0));
document.getElementById("viewer-close").addEventListener("click", () => viewer.close());
// A click on the picture toggles between fitted and twice the size.
image.addEventListener("click", () => applyZoom(level === 0 ? 2 : 0));

viewer.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    // The dialog closes itself; the reader's own Escape (closing its side panel) is not meant.
    event.stopPropagation();
    return;
  }
  if (event.target.closest("a, button") && (event.key === "Enter" || event.key === " ")) return;
  const step = { "+": 1, "=": 1, "-": -1, _: -1 }[event.key];
  if (step) {
    event.preventDefault();
    applyZoom(level + step);
  } else if (event.key === "0") {
    event.preventDefault();
    applyZoom(0);
  }
});

viewer.addEventListener("close", () => {
  image.removeAttribute("src");
  delete viewer.dataset.ready;
  if (opener) opener.focus();
});

window.addEventListener("resize", () => {
  if (viewer.open && level === 0) applyZoom(0);
});
