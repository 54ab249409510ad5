// The session as people feel it (issue 13, point 2): the access token lives minutes
// (identity's CERTREG_ACCESS_TOKEN_TTL_SECONDS), the session hours. While the person is
// active — in any tab of this browser — the token is renewed before it expires, without a
// word. Idle, they are warned before it expires (a DSFR modal, « Rester connecté »); past
// it, the session is closed and the modal asks for the password again, on the same page:
// what was typed stays where it was, and the call that was refused is sent again.
import { api, currentUser, decodeToken, getToken, h, hasSession, isBackOffice, logout, onReloginNeeded, renewSession, setToken, showError } from "/static/js/api.js";

const ACTIVITY_KEY = "certreg.activity"; // the last activity of any tab (ms), shared
const LEAD_MS = 120_000; // warn (or renew) at most two minutes before expiry
let lastActivity = Date.now();
let lastShared = 0;
let mode = null; // null | "warning" | "relogin"
let renewing = false;
let waiting = []; // resolvers of the calls waiting for a re-login
let email = currentUser()?.email || "";
let dialog = null;

function noteActivity() {
  lastActivity = Date.now();
  if (lastActivity - lastShared > 5_000) {
    lastShared = lastActivity;
    localStorage.setItem(ACTIVITY_KEY, String(lastActivity));
  }
}

function activeSince(moment) {
  const shared = Number(localStorage.getItem(ACTIVITY_KEY)) || 0;
  return Math.max(lastActivity, shared) > moment;
}

function loginPage() {
  return isBackOffice() ? "/back-office/connexion" : "/connexion";
}

function build() {
  const id = "session-modal";
  const title = h("h2", { class: "fr-modal__title", id: `${id}-title` });
  const text = h("p", { id: "session-text" });
  const password = h("div", { class: "fr-input-group", id: "session-password-group", hidden: true },
    h("label", { class: "fr-label", for: "session-password" }, "Mot de passe"),
    h("input", { class: "fr-input", type: "password", id: "session-password", name: "password", autocomplete: "current-password" }));
  const stay = h("button", { class: "fr-btn", type: "submit", id: "session-stay" }, "Rester connecté");
  const leave = h("button", { class: "fr-btn fr-btn--secondary", type: "button", id: "session-leave" }, "Se déconnecter");
  const close = h("button", { class: "fr-btn--close fr-btn", type: "button", title: "Fermer la fenêtre", "aria-controls": id }, "Fermer");
  const form = h("form", { novalidate: true, class: "fr-modal__body", id: "session-form" },
    h("div", { class: "fr-modal__header" }, close),
    h("div", { class: "fr-modal__content" }, title, text, password),
    h("div", { class: "fr-modal__footer" }, h("ul", { class: "fr-btns-group fr-btns-group--right fr-btns-group--inline-reverse fr-btns-group--inline-lg" }, h("li", {}, stay), h("li", {}, leave))));
  dialog = h("dialog", { id, class: "fr-modal cr-modal", "aria-labelledby": `${id}-title`, role: "alertdialog" },
    h("div", { class: "fr-container fr-container--fluid fr-container-md" }, h("div", { class: "fr-grid-row fr-grid-row--center" }, h("div", { class: "fr-col-12 fr-col-md-8 fr-col-lg-6" }, form))));
  document.body.append(dialog);

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (mode === "warning") return stayConnected();
    const value = form.password.value;
    if (!value) return showError(form.querySelector(".fr-modal__content"), { detail: "Saisissez votre mot de passe." });
    try {
      const data = await api("/api/identity/token", { method: "POST", form: { username: email, password: value, grant_type: "password" }, auth: false });
      setToken(data.access_token);
      form.password.value = "";
      hide();
      settle(true);
    } catch (err) {
      showError(form.querySelector(".fr-modal__content"), err);
    }
  });
  leave.addEventListener("click", () => {
    settle(false);
    logout();
    location.assign(loginPage());
  });
  // Closed by DSFR (Échap, the close button, a click outside): while warned, the person
  // is there, so the session goes on; while asked to log in again, the page stays as is.
  dialog.addEventListener("dsfr.conceal", () => {
    const was = mode;
    mode = null;
    if (was === "warning") stayConnected();
    if (was === "relogin") settle(false);
  });
}

function show(next) {
  if (!dialog) build();
  mode = next;
  const relogin = next === "relogin";
  dialog.querySelector(".fr-modal__title").textContent = relogin ? "Votre session a expiré" : "Votre session va expirer";
  dialog.querySelector("#session-stay").textContent = relogin ? "Se reconnecter" : "Rester connecté";
  dialog.querySelector("#session-password-group").hidden = !relogin;
  dialog.querySelectorAll("[data-api-error]").forEach((el) => el.remove());
  countdown();
  if (relogin) dialog.querySelector("#session-text").textContent =
    `Pour continuer, saisissez à nouveau le mot de passe du compte ${email}. Ce que vous avez saisi sur cette page est conservé.`;
  if (dialog.classList.contains("fr-modal--opened")) {
    if (relogin) dialog.querySelector("#session-password").focus();
    return;
  }
  const open = () => {
    if (!dialog.dataset.frJsModal) return requestAnimationFrame(open); // DSFR has not taken it yet
    window.dsfr(dialog).modal.disclose();
    setTimeout(() => dialog.querySelector(relogin ? "#session-password" : "#session-stay").focus(), 50);
  };
  open();
}

function hide() {
  mode = null;
  if (dialog?.classList.contains("fr-modal--opened")) window.dsfr(dialog).modal.conceal();
}

function settle(ok) {
  const pending = waiting;
  waiting = [];
  pending.forEach((resolve) => resolve(ok));
}

function countdown() {
  if (mode !== "warning") return;
  const claims = decodeToken(sessionStorage.getItem("certreg.token") || "") || {};
  const seconds = Math.max(0, Math.round((claims.exp || 0) - Date.now() / 1000));
  const when = seconds >= 60 ? `${Math.ceil(seconds / 60)} minute${seconds > 60 ? "s" : ""}` : `${seconds} seconde${seconds > 1 ? "s" : ""}`;
  dialog.querySelector("#session-text").textContent =
    `Sans action de votre part, vous serez déconnecté dans ${when}. Ce que vous avez saisi sur cette page sera conservé.`;
}

async function stayConnected() {
  if (renewing) return;
  renewing = true;
  const ok = await renewSession();
  renewing = false;
  if (ok) {
    hide();
    settle(true);
  } else show("relogin");
}

// The session ended unattended: closed on the server (the cookie's family revoked), the
// page kept, the password asked.
function expire() {
  logout();
  show("relogin");
}

async function tick() {
  if (mode === "relogin" || renewing) return;
  const raw = sessionStorage.getItem("certreg.token");
  const claims = raw ? decodeToken(raw) : null;
  if (!claims?.exp) {
    if (mode === "warning") expire();
    return;
  }
  const now = Date.now();
  const expiry = claims.exp * 1000;
  const lifetime = Math.max(1000, (claims.exp - (claims.iat || claims.exp - 900)) * 1000);
  const lead = Math.min(LEAD_MS, lifetime / 3);
  if (expiry - now > lead) {
    if (mode === "warning") hide(); // another tab renewed it
    return;
  }
  if (expiry <= now) {
    if (mode === "warning" || !activeSince(claims.iat * 1000)) expire();
    else await stayConnected();
    return;
  }
  if (mode === "warning") return countdown();
  if (activeSince(claims.iat * 1000)) {
    renewing = true;
    const ok = await renewSession();
    renewing = false;
    if (!ok) show("relogin");
  } else show("warning");
}

export function startSessionWatch() {
  if (!getToken() && !hasSession()) return;
  for (const type of ["keydown", "pointerdown", "input", "wheel", "touchstart"]) {
    addEventListener(type, noteActivity, { passive: true, capture: true });
  }
  window.addEventListener("certreg:token", () => {
    email = currentUser()?.email || email;
  });
  onReloginNeeded(() => new Promise((resolve) => {
    waiting.push(resolve);
    show("relogin");
  }));
  setInterval(tick, 1000);
}
