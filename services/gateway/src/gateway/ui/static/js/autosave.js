// Drafts of typed text kept on this device, for any page: put data-autosave="<scope>" on a
// form (or any container) and its named text fields (textarea, text input) are saved to
// localStorage as they are typed, under the signed-in account, the scope and the field's
// name (a dossier's page uses "dossier:<id>:description", ":answers", ":messages"…).
// When the container appears again — after a reload, or when the page re-renders after an
// upload — what was typed and not saved is put back, with a notice. The page calls
// clearDrafts(container) once the server has the text. While a field differs from what the
// page was showing, leaving the page asks for confirmation (beforeunload).
import { currentUser } from "/static/js/api.js";

const PREFIX = "certreg:draft:";
const MAX_AGE_MS = 14 * 24 * 3600 * 1000; // older drafts are forgotten
const FIELDS = "textarea[name], input[name]:not([type]), input[name][type=text]";
const baselines = new WeakMap(); // field -> the value the page showed (saved state)

function owner() {
  try {
    return currentUser()?.id || "anonyme";
  } catch {
    return "anonyme";
  }
}

function keyOf(scope, field) {
  return `${PREFIX}${owner()}:${scope}:${field.name}`;
}

function read(key) {
  try {
    const raw = localStorage.getItem(key);
    if (!raw) return null;
    const { v, t } = JSON.parse(raw);
    if (typeof v !== "string" || Date.now() - t > MAX_AGE_MS) {
      localStorage.removeItem(key);
      return null;
    }
    return v;
  } catch {
    return null;
  }
}

function write(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify({ v: value, t: Date.now() }));
  } catch {
    /* storage full or refused: the warning before leaving still protects the text */
  }
}

function fieldsOf(root) {
  return [...root.querySelectorAll(FIELDS)].filter((f) => !f.disabled && !f.readOnly);
}

/** Starts keeping the drafts of `root`'s fields (done for every [data-autosave] element). */
export function activate(root) {
  if (root.dataset.autosaveActive) return;
  root.dataset.autosaveActive = "1";
  const scope = root.dataset.autosave;
  let restored = 0;
  for (const field of fieldsOf(root)) {
    baselines.set(field, field.value);
    const draft = read(keyOf(scope, field));
    if (draft !== null && draft !== field.value) {
      field.value = draft;
      restored += 1;
    }
  }
  root.addEventListener("input", (e) => {
    const field = e.target;
    if (!field.matches?.(FIELDS) || !field.name) return;
    if (!baselines.has(field)) baselines.set(field, field.defaultValue);
    const key = keyOf(scope, field);
    if (field.value === baselines.get(field)) localStorage.removeItem(key);
    else write(key, field.value);
  });
  if (restored) {
    const note = document.createElement("p");
    note.className = "fr-text--sm fr-mb-2w cr-draft-restored";
    note.setAttribute("role", "status");
    note.textContent = restored > 1
      ? `${restored} brouillons non enregistrés ont été restaurés depuis cet appareil.`
      : "Un brouillon non enregistré a été restauré depuis cet appareil.";
    root.prepend(note);
  }
}

/** The server has the text now: forget the drafts of `root` and take its values as saved. */
export function clearDrafts(root) {
  const scope = root.dataset.autosave;
  for (const field of root.querySelectorAll(FIELDS)) {
    localStorage.removeItem(keyOf(scope, field));
    baselines.set(field, field.value);
  }
  root.querySelector(".cr-draft-restored")?.remove();
}

/** Whether a field of the page differs from what it showed when it was drawn. */
export function hasUnsavedChanges() {
  return [...document.querySelectorAll("[data-autosave-active]")].some((root) =>
    fieldsOf(root).some((f) => baselines.has(f) && f.value !== baselines.get(f)));
}

function scan(node) {
  if (!(node instanceof Element)) return;
  if (node.matches("[data-autosave]")) activate(node);
  for (const el of node.querySelectorAll("[data-autosave]")) activate(el);
}

if (!window.__certregAutosave) {
  window.__certregAutosave = true;
  scan(document.body);
  new MutationObserver((changes) => changes.forEach((c) => c.addedNodes.forEach(scan))).observe(document.body, { childList: true, subtree: true });
  window.addEventListener("beforeunload", (e) => {
    if (!hasUnsavedChanges()) return;
    e.preventDefault();
    e.returnValue = ""; // the browser shows its own wording
  });
}
