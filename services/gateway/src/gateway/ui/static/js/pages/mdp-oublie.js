import { api, clearErrors, setBusy, showAlert, showError, showFieldErrors } from "/static/js/api.js";
import "/static/js/layout.js";

const form = document.getElementById("forgot-form");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const email = form.email.value.trim();
  if (!email || form.email.validity.typeMismatch)
    return showFieldErrors(form, [{ field: "email", msg: "Saisissez une adresse électronique valide, par exemple nom@domaine.fr." }]);
  const button = form.querySelector("button");
  setBusy(button, true, "Envoi…");
  try {
    await api("/api/identity/password/forgot", { method: "POST", json: { email }, auth: false });
    showAlert(form, "Si un compte existe pour cette adresse, un courriel contenant un lien de réinitialisation vient d’être envoyé. Le lien n’est valable qu’une fois et pour une durée limitée.", { title: "Demande envoyée", type: "success" });
  } catch (err) {
    showError(form, err);
  } finally {
    setBusy(button, false);
  }
});
