// The JSON API of certreg (API.md) for the pages: token, calls, errors next to fields.
// No framework: every page module imports what it needs from here.

import { sameOriginPath } from "/static/js/redirect.js";

const TOKEN_KEY = "certreg.token";
// Whether this browser has a session (the refresh cookie itself is httpOnly: unreadable
// here). In localStorage, so that a new tab or a mail link knows to ask for a token.
const SESSION_KEY = "certreg.session";
const REFRESH_PATH = "/api/identity/token/refresh";

export class ApiError extends Error {
  constructor(status, body) {
    super(typeof body?.detail === "string" ? body.detail : `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
    this.detail = body?.detail;
    this.code = body?.code;
  }
}

// ---------------------------------------------------------------- session
export function getToken() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return null;
  const claims = decodeToken(token);
  if (claims?.exp && claims.exp * 1000 < Date.now()) {
    sessionStorage.removeItem(TOKEN_KEY);
    return null;
  }
  return token;
}

export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  localStorage.setItem(SESSION_KEY, "1");
  window.dispatchEvent(new CustomEvent("certreg:token"));
}

/** Sign out: this tab's token, the session's mark, and the session itself (identity
 * revokes the refresh cookie's family and clears it). */
export function logout() {
  signedIn = false;
  sessionStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(SESSION_KEY);
  fetch("/api/identity/logout", { method: "POST", keepalive: true, credentials: "same-origin" }).catch(() => {});
}

/** Whether this browser has a session its refresh cookie may renew. */
export function hasSession() {
  return localStorage.getItem(SESSION_KEY) === "1";
}

/**
 * A new access token from the session's refresh cookie (rotated by identity at each use).
 * One renewal at a time across this browser's tabs (Web Locks): two tabs sending the same
 * cookie at once would look like a stolen token and close the session. Resolves to true
 * when renewed; false when the session is over (then the mark is removed).
 */
export async function renewSession() {
  const run = async () => {
    let res;
    try {
      res = await fetch(REFRESH_PATH, { method: "POST", credentials: "same-origin", headers: { Accept: "application/json" } });
    } catch {
      return false; // unreachable: the session may still be alive
    }
    if (res.ok) {
      const data = await res.json();
      setToken(data.access_token);
      return true;
    }
    if (res.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      localStorage.removeItem(SESSION_KEY);
    }
    return false;
  };
  if (navigator.locks?.request) return navigator.locks.request("certreg-session-refresh", run);
  return run();
}

// A new tab, a mail link, a reload after the token expired: the session's cookie gives
// this tab its token before any page script asks who is signed in (top-level await: the
// modules importing this one wait for it).
if (!getToken() && hasSession()) await renewSession();
// This page was opened signed in (or signed in since): a call refused for want of a
// token then asks for the session back rather than failing.
let signedIn = !!getToken();
window.addEventListener("certreg:token", () => (signedIn = true));

// Re-login in place (session-ui.js registers it): the page stays as it is, with what was
// typed, while the person gives their password again; then the call is sent again.
let reloginHandler = null;
export function onReloginNeeded(handler) {
  reloginHandler = handler;
}

export function decodeToken(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(
      atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "="))
        .split("")
        .map((c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0"))
        .join(""),
    );
    return JSON.parse(json);
  } catch {
    return null;
  }
}

/** The signed-in user as the token says (display only: every service checks it). */
export function currentUser() {
  const token = getToken();
  if (!token) return null;
  const c = decodeToken(token) || {};
  return {
    id: c.sub,
    email: c.email,
    name: c.name || c.email,
    roles: c.roles || [],
    entityId: c.entity_id || null,
    isStaff: (c.roles || []).some((r) => STAFF_ROLES.includes(r)),
  };
}

export const STAFF_ROLES = ["si_admin", "reviewer", "instructor", "commission", "director"];

export function isBackOffice() {
  return location.pathname.startsWith("/back-office");
}

export function loginUrl() {
  const next = encodeURIComponent(location.pathname + location.search);
  return `${isBackOffice() ? "/back-office/connexion" : "/connexion"}?suivant=${next}`;
}

/** Send to the login page unless signed in; returns the user. */
export function requireLogin() {
  const user = currentUser();
  if (!user) {
    location.assign(loginUrl());
    throw new Error("redirecting to login");
  }
  return user;
}

/** Only a path of this origin may be the target after login (no open redirect). */
export function safeNext(fallback) {
  return sameOriginPath(new URLSearchParams(location.search).get("suivant"), location.origin) ?? fallback;
}

// ---------------------------------------------------------------- calls
async function parse(res) {
  if (res.status === 204) return null;
  const type = res.headers.get("content-type") || "";
  if (type.includes("json")) {
    try {
      return await res.json();
    } catch {
      return null;
    }
  }
  const text = await res.text();
  return text ? { detail: text } : null;
}

// ---------------------------------------------------------------- idempotency keys
// A state-changing action (create a filing, submit it, declare the organisation…) is
// sent with an Idempotency-Key: the server then makes it once however often it is sent,
// and answers a repeat with the first answer. One key per user action: the same while
// the same request is asked again (its automatic retries, a second click after an
// error), a new one once it succeeded or when what is sent changes.
const intents = new Map();

function randomKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The key of the action `action` sending `payload` (see above). */
export function intentKey(action, payload) {
  const sig = JSON.stringify(payload ?? null);
  const known = intents.get(action);
  if (known && known.sig === sig) return known.key;
  const key = randomKey();
  intents.set(action, { sig, key });
  return key;
}

/** The action succeeded: doing it again later is a new action, with a new key. */
export function actionDone(action) {
  intents.delete(action);
}

const RETRIES = 3; // tries of a read, or of a request sent with an idempotency key, when the service is unreachable or busy
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Call the API. `json` sends a JSON body, `form` a urlencoded one, `body` anything else.
 * `token` overrides the session token (the onboarding token); `auth:false` sends none.
 * `idempotencyKey` (see intentKey) sends it, and lets the call be sent again by itself,
 * with the same key, when the service is unreachable or answers 502/503/504 (after its
 * Retry-After: a busy service says when to come back); a GET, safe to repeat, is too.
 * Resolves with the parsed body; rejects with an ApiError. A 401 on an authenticated
 * call renews the token (the session's cookie, else the password asked again in place)
 * and sends the call again; only when neither works does it go to the login page.
 */
export async function api(path, { method = "GET", json, form, body, headers = {}, token, auth = true, idempotencyKey, retried = false } = {}) {
  const h = { Accept: "application/json", ...headers };
  let sessionToken = token || !auth ? null : getToken();
  if (!token && auth && !sessionToken && signedIn && (await renewSession())) sessionToken = getToken();
  const bearer = token || sessionToken;
  if (bearer) h.Authorization = `Bearer ${bearer}`;
  if (idempotencyKey) h["Idempotency-Key"] = idempotencyKey;
  let payload = body;
  if (json !== undefined) {
    h["Content-Type"] = "application/json";
    payload = JSON.stringify(json);
  } else if (form) {
    payload = new URLSearchParams(form);
  }
  const tries = idempotencyKey || method === "GET" ? RETRIES : 1;
  let res;
  for (let attempt = 1; ; attempt++) {
    try {
      res = await fetch(path, { method, headers: h, body: payload });
    } catch {
      if (attempt < tries) {
        await sleep(1000 * attempt);
        continue;
      }
      throw new ApiError(0, { detail: "Le service est injoignable. Vérifiez votre connexion puis réessayez." });
    }
    if (attempt < tries && [502, 503, 504].includes(res.status)) {
      const after = Number(res.headers.get("Retry-After"));
      await sleep(1000 * Math.min(Number.isFinite(after) && after > 0 ? after : attempt, 5));
      continue;
    }
    break;
  }
  const data = await parse(res);
  if (res.ok) return data;
  if (res.status === 401 && !token && auth && (sessionToken || signedIn) && !retried) {
    // The token expired or was refused: renew it from the session, else ask for the
    // password again without leaving the page; then send the same call once more.
    if ((await renewSession()) || (reloginHandler && (await reloginHandler()))) {
      return api(path, { method, json, form, body, headers, token, auth, idempotencyKey, retried: true });
    }
    if (!reloginHandler) {
      logout();
      location.assign(loginUrl());
    }
  }
  throw new ApiError(res.status, data);
}

/**
 * Upload a file with progress (XMLHttpRequest: fetch has no upload progress).
 * `onProgress(fraction)` is called as bytes go out.
 */
export async function upload(path, file, { method = "POST", token, onProgress } = {}) {
  if (!token && !getToken() && hasSession()) await renewSession();
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, path);
    const bearer = token || getToken();
    if (bearer) xhr.setRequestHeader("Authorization", `Bearer ${bearer}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    xhr.setRequestHeader("Content-Disposition", `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let data = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        data = { detail: xhr.responseText };
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new ApiError(xhr.status, data));
    };
    xhr.onerror = () => reject(new ApiError(0, { detail: "L’envoi a échoué : le service est injoignable." }));
    xhr.send(file);
  });
}

/** Download an authenticated file (a link cannot carry the token). */
export async function download(path, filename) {
  if (!getToken() && hasSession()) await renewSession();
  const h = {};
  const token = getToken();
  if (token) h.Authorization = `Bearer ${token}`;
  const res = await fetch(path, { headers: h });
  if (!res.ok) throw new ApiError(res.status, await parse(res));
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  const disposition = res.headers.get("content-disposition") || "";
  const match = disposition.match(/filename\*?=(?:UTF-8'')?"?([^";]+)"?/i);
  a.download = filename || (match ? decodeURIComponent(match[1]) : "document");
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---------------------------------------------------------------- errors
const GROUPS = [
  ["fr-input-group", "fr-input-group--error", "fr-input--error"],
  ["fr-select-group", "fr-select-group--error", "fr-select--error"],
  ["fr-upload-group", "fr-upload-group--error", null],
  ["fr-checkbox-group", "fr-checkbox-group--error", null],
  ["fr-fieldset", "fr-fieldset--error", null],
];

/** Remove the errors shown in `root` (fields and alert). */
export function clearErrors(root) {
  root.querySelectorAll("[data-api-error]").forEach((el) => el.remove());
  for (const [, groupError, inputError] of GROUPS) {
    root.querySelectorAll("." + groupError).forEach((el) => el.classList.remove(groupError));
    if (inputError) root.querySelectorAll("." + inputError).forEach((el) => el.classList.remove(inputError));
  }
  root.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  root.querySelectorAll("[data-described]").forEach((el) => {
    const base = el.dataset.described;
    if (base) el.setAttribute("aria-describedby", base);
    else el.removeAttribute("aria-describedby");
    delete el.dataset.described;
  });
}

function findField(root, loc) {
  const parts = loc.filter((p) => !["body", "query", "path", "header"].includes(p));
  const candidates = [parts.join("."), parts.filter((p) => typeof p === "string").join("."), parts.filter((p) => typeof p === "string").at(-1)];
  for (const name of candidates) {
    if (!name) continue;
    const el = root.querySelector(`[name="${CSS.escape(name)}"], [data-field="${CSS.escape(name)}"]`);
    if (el) return el;
  }
  return null;
}

/** Show `msg` next to the field `el` (DSFR error state, linked by aria-describedby). */
export function markField(el, msg) {
  let group = null;
  let classes = null;
  for (const entry of GROUPS) {
    const g = el.closest("." + entry[0]);
    if (g) {
      group = g;
      classes = entry;
      break;
    }
  }
  const target = group || el.parentElement;
  if (classes) group.classList.add(classes[1]);
  if (classes?.[2] && el.classList) el.classList.add(classes[2]);
  const key = el.id || el.name || "champ";
  const errorId = `${key}-erreur`;
  let p = document.getElementById(errorId);
  if (!p) {
    p = document.createElement("p");
    p.id = errorId;
    p.className = "fr-error-text";
    p.dataset.apiError = "";
    const messages = target.querySelector(":scope > .fr-messages-group");
    (messages || target).append(p);
    p.textContent = msg;
  } else if (!p.textContent.includes(msg)) {
    p.textContent = `${p.textContent} ${msg}`.trim();
  }
  const described = el.tagName === "INPUT" && el.type === "radio" ? el.closest("fieldset") || el : el;
  if (!("described" in described.dataset)) described.dataset.described = described.getAttribute("aria-describedby") || "";
  const ids = new Set((described.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean));
  ids.add(errorId);
  described.setAttribute("aria-describedby", [...ids].join(" "));
  if (el.tagName !== "FIELDSET") el.setAttribute("aria-invalid", "true");
}

/** The heading level that fits a title placed where `el` is: one below the nearest heading
 * shown before it (2 when none), so that headings never skip a level (axe's heading-order). */
export function headingLevelAt(el) {
  if (!el.isConnected) return 3;
  const shown = (x) => (x.checkVisibility ? x.checkVisibility({ visibilityProperty: true }) : x.getClientRects().length > 0);
  let level = 1;
  for (const x of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
    if (!(x.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) || el.contains(x)) break;
    if (shown(x)) level = Number(x.tagName[1]);
  }
  return Math.min(level + 1, 6);
}

/** Show an alert at the top of `root` (role=alert, focused); its title is a heading of the
 * level that fits where it lands. */
export function showAlert(root, message, { title = "Votre demande n’a pas abouti", type = "error", focus = true } = {}) {
  root.querySelectorAll(":scope > [data-api-error].fr-alert").forEach((el) => el.remove());
  const box = document.createElement("div");
  box.className = `fr-alert fr-alert--${type} fr-mb-3w`;
  box.dataset.apiError = "";
  box.setAttribute("role", type === "error" ? "alert" : "status");
  box.tabIndex = -1;
  root.prepend(box);
  const heading = document.createElement(`h${headingLevelAt(box)}`);
  heading.className = "fr-alert__title";
  heading.textContent = title;
  box.append(heading);
  const items = Array.isArray(message) ? message : [message];
  if (items.length === 1) {
    const p = document.createElement("p");
    if (items[0] instanceof Node) p.append(items[0]);
    else p.textContent = items[0];
    box.append(p);
  } else {
    const ul = document.createElement("ul");
    for (const item of items) {
      const li = document.createElement("li");
      li.textContent = item;
      ul.append(li);
    }
    box.append(ul);
  }
  if (focus) box.focus();
  return box;
}

/**
 * Show field errors `[{field, msg}]` in `root`; the first invalid field gets the focus.
 * Errors whose field is not in the form go to the alert. Returns true if any.
 */
export function showFieldErrors(root, errors, { alertTitle } = {}) {
  clearErrors(root);
  const unmatched = [];
  let first = null;
  for (const e of errors) {
    const el = typeof e.field === "string" ? findField(root, [e.field]) : findField(root, e.loc || []);
    if (el) {
      markField(el, e.msg);
      first = first || el;
    } else unmatched.push(e.msg);
  }
  if (unmatched.length) showAlert(root, unmatched, { title: alertTitle, focus: !first });
  if (first) first.focus();
  return errors.length > 0;
}

/** Display any API error in `root`: 422 next to its fields, the rest in an alert. */
export function showError(root, err, { alertTitle } = {}) {
  clearErrors(root);
  if (!(err instanceof ApiError)) {
    console.error(err);
    showAlert(root, "Une erreur inattendue est survenue. Réessayez dans un instant.");
    return;
  }
  if (err.status === 422 && Array.isArray(err.detail)) {
    showFieldErrors(
      root,
      err.detail.map((d) => ({ loc: d.loc || [], msg: d.msg || String(d) })),
      { alertTitle },
    );
    return;
  }
  showAlert(root, messageOf(err), { title: alertTitle });
}

/** A readable French sentence for an API error. */
export function messageOf(err) {
  if (typeof err.detail === "string" && err.detail) return err.detail;
  if (Array.isArray(err.detail)) return err.detail.map((d) => d.msg || String(d)).join(" ");
  return (
    {
      0: "Le service est injoignable.",
      403: "Vous n’avez pas accès à cette action.",
      404: "Élément introuvable.",
      409: "Cette action n’est pas possible dans l’état actuel du dossier.",
      413: "Le fichier est trop volumineux.",
      415: "Ce type de fichier n’est pas accepté.",
      429: "Trop de tentatives : patientez quelques minutes avant de réessayer.",
      503: "Le service est momentanément indisponible.",
    }[err.status] || "Une erreur est survenue."
  );
}

// ---------------------------------------------------------------- DOM and formats
/** Create an element: h("a", {href: "/"}, "texte", child…). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** The DSFR pagination of a list of `total` items, `size` a page, showing the one at `offset`;
 * `goTo(offset)` loads another page. `more`: more than `total` items (a list that stops
 * counting, `total_is_lower_bound`): the next page stays open and the last one is unknown. */
export function pager(total, offset, size, goTo, more = false) {
  const pages = Math.max(1, Math.ceil(total / size));
  const current = Math.floor(offset / size) + 1;
  const of = more ? `plus de ${pages}` : `${pages}`;
  const link = (label, n, cls, enabled) => h("li", {}, enabled
    ? h("button", { class: `fr-pagination__link ${cls}`, type: "button", onclick: () => goTo((n - 1) * size) }, label)
    : h("a", { class: `fr-pagination__link ${cls}`, "aria-disabled": "true", role: "link" }, label));
  return h("nav", { role: "navigation", class: "fr-pagination", "aria-label": "Pagination" }, h("ul", { class: "fr-pagination__list" },
    link("Première page", 1, "fr-pagination__link--first", current > 1),
    link("Page précédente", current - 1, "fr-pagination__link--prev fr-pagination__link--lg-label", current > 1),
    h("li", {}, h("a", { class: "fr-pagination__link", "aria-current": "page", title: `Page ${current} sur ${of}` }, `${current} / ${of}`)),
    link("Page suivante", current + 1, "fr-pagination__link--next fr-pagination__link--lg-label", more || current < pages),
    link("Dernière page", pages, "fr-pagination__link--last", !more && current < pages)));
}

/** « 1 234 dossiers », or « Plus de 1 000 dossiers » when a list stopped counting
 * (`total_is_lower_bound`); `word` is the singular, its plural takes an s. */
export function countText(total, more, word) {
  const n = Number(total).toLocaleString("fr-FR");
  return more ? `Plus de ${n} ${word}s` : `${n} ${word}${total > 1 ? "s" : ""}`;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function formValues(form) {
  const data = {};
  for (const [k, v] of new FormData(form).entries()) {
    if (!(v instanceof File)) data[k] = typeof v === "string" ? v.trim() : v;
  }
  return data;
}

// Moments (sent in UTC with their offset) are shown as the procedure counts them: in Paris,
// whatever the browser's zone. A date alone ("2026-12-01") is a calendar day, not a moment.
const PARIS = "Europe/Paris";

export function fmtDate(value) {
  if (!value) return "—";
  const day = value.length === 10;
  const d = new Date(day ? value + "T00:00:00" : value);
  const text = d.toLocaleDateString("fr-FR", { day: "numeric", month: "long", year: "numeric", ...(day ? {} : { timeZone: PARIS }) });
  return text.replace(/^1 /, "1er "); // « 1er décembre 2026 »
}

export function fmtDateTime(value) {
  if (!value) return "—";
  const text = new Date(value).toLocaleString("fr-FR", { dateStyle: "long", timeStyle: "short", timeZone: PARIS });
  return text.replace(/^1 /, "1er ");
}

/** Today's calendar day in Paris ("2026-12-01"), whatever the browser's zone. */
export function parisToday() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: PARIS, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

/** "12 jours restants", "échéance aujourd’hui", "échéance dépassée depuis 3 jours": whole
 * days between today in Paris and the due day, as the mails count them (notifier's days_left). */
export function daysLeft(value) {
  if (!value) return "";
  const day = (iso) => Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10)));
  const due = value.length === 10 ? value : new Intl.DateTimeFormat("en-CA", { timeZone: PARIS, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(value));
  const days = Math.round((day(due) - day(parisToday())) / 86_400_000);
  if (days > 1) return `${days} jours restants`;
  if (days === 1) return "1 jour restant";
  if (days === 0) return "échéance aujourd’hui";
  return `échéance dépassée depuis ${-days} jour${days < -1 ? "s" : ""}`;
}

export function fmtSize(bytes) {
  if (bytes == null) return "";
  if (bytes < 1024) return `${bytes} o`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} Ko`;
  return `${(bytes / 1024 / 1024).toFixed(1).replace(".", ",")} Mo`;
}

/** The page's id from its path: /dossiers/{id} → id. */
export function pathId(index = -1) {
  const parts = location.pathname.split("/").filter(Boolean);
  return decodeURIComponent(parts.at(index));
}

export function setTitle(title) {
  const suffix = document.title.split(" — ").slice(1).join(" — ");
  document.title = suffix ? `${title} — ${suffix}` : title;
}

// The button's own nodes while it shows its busy label: given back as they were (a label
// hidden for sighted users, `fr-sr-only`, stays hidden; its text alone would show it).
const LABELS = new WeakMap();

export function setBusy(button, busy, label) {
  if (busy) {
    if (!LABELS.has(button)) LABELS.set(button, [...button.childNodes]);
    button.disabled = true;
    if (label) button.textContent = label;
  } else {
    button.disabled = false;
    const nodes = LABELS.get(button);
    if (nodes) button.replaceChildren(...nodes);
    LABELS.delete(button);
  }
}

/** Items of a list answer whatever its envelope (`items`, `results`, or a bare list). */
export function itemsOf(data, ...keys) {
  if (Array.isArray(data)) return data;
  for (const k of [...keys, "items", "results", "data"]) if (Array.isArray(data?.[k])) return data[k];
  return [];
}
