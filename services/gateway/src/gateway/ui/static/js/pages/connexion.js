// Login (public portal and back office: the same token endpoint).
import { api, ApiError, clearErrors, currentUser, decodeToken, h, isBackOffice, safeNext, setBusy, setToken, showAlert, showError, showFieldErrors, logout } from "/static/js/api.js";
import { renderLayout } from "/static/js/layout.js";

const form = document.getElementById("login-form");
const back = isBackOffice();

function resendButton(email) {
  const button = h("button", { class: "fr-btn fr-btn--secondary fr-btn--sm fr-mt-1w", type: "button" }, "Renvoyer le lien d’activation");
  button.addEventListener("click", async () => {
    setBusy(button, true, "Envoi…");
    try {
      await api("/api/identity/activation/resend", { method: "POST", json: { email }, auth: false });
      showAlert(form, "Si un compte en attente d’activation existe pour cette adresse, un nouveau lien vient d’être envoyé.", { title: "Lien renvoyé", type: "success" });
    } catch (err) {
      showError(form, err);
    }
  });
  return button;
}

// The account exists but its entity application was never sent (the onboarding token
// was lost): a new token, then back to the sign-up page at the entity step.
async function resumeApplication(username, password) {
  const data = await api("/api/identity/onboarding-token", { method: "POST", form: { username, password }, auth: false });
  const name = decodeToken(data.onboarding_token)?.name || "";
  sessionStorage.setItem("certreg.onboarding", JSON.stringify({ token: data.onboarding_token, email: username, name, resumed: true }));
  showAlert(form, "La déclaration de votre organisme n’a pas été envoyée. Vous allez être redirigé pour la compléter.", { title: "Déclaration à compléter", type: "info" });
  location.assign("/comptes/creer");
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const username = form.username.value.trim();
  const password = form.password.value;
  const errors = [];
  if (!username) errors.push({ field: "username", msg: "Saisissez votre adresse électronique." });
  else if (form.username.validity.typeMismatch) errors.push({ field: "username", msg: "Saisissez une adresse électronique valide, par exemple nom@domaine.fr." });
  if (!password) errors.push({ field: "password", msg: "Saisissez votre mot de passe." });
  if (errors.length) return showFieldErrors(form, errors);
  const button = form.querySelector("button[type=submit]");
  setBusy(button, true, "Connexion…");
  try {
    const data = await api("/api/identity/token", { method: "POST", form: { username, password, grant_type: "password" }, auth: false });
    setToken(data.access_token);
    const user = currentUser();
    if (back && !user.isStaff) {
      logout();
      showAlert(form, "Ce compte n’est pas un compte d’agent de France compétences. Connectez-vous sur le portail public.");
      return;
    }
    renderLayout();
    location.assign(safeNext(user.isStaff ? "/back-office/" : "/dossiers"));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      showAlert(form, "Adresse électronique ou mot de passe incorrect.");
    } else if (err instanceof ApiError && err.status === 429 && err.code === "account_locked") {
      showAlert(form, err.detail, { title: "Connexion bloquée depuis cet appareil" });
    } else if (err instanceof ApiError && err.status === 429) {
      showAlert(form, err.detail || "Trop de tentatives : patientez avant de réessayer.", { title: "Patientez avant de réessayer" });
    } else if (err instanceof ApiError && err.status === 403 && err.code === "application_missing") {
      try {
        await resumeApplication(username, password);
      } catch (again) {
        showError(form, again);
      }
    } else if (err instanceof ApiError && err.status === 403 && err.code === "not_activated") {
      const box = showAlert(form, "Votre compte n’est pas encore activé : cliquez sur le lien reçu par courriel.", { title: "Compte non activé" });
      box.append(resendButton(username));
    } else if (err instanceof ApiError && err.status === 403 && err.code === "pending_validation") {
      showAlert(form, "Votre demande de compte est en attente de validation. Vous serez prévenu par courriel.", { title: "Compte en attente de validation", type: "info" });
    } else if (err instanceof ApiError && err.status === 403 && err.code === "rejected") {
      showAlert(form, "Votre demande de compte a été refusée. Le motif vous a été envoyé par courriel.", { title: "Demande refusée" });
    } else {
      showError(form, err);
    }
  } finally {
    setBusy(button, false);
  }
});
