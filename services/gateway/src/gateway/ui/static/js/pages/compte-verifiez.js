import { api, clearErrors, setBusy, showAlert, showError, showFieldErrors } from "/static/js/api.js";
import "/static/js/layout.js";

const form = document.getElementById("resend-form");
const email = sessionStorage.getItem("certreg.pending_email");
if (email) {
  form.email.value = email;
  document.getElementById("pending-email").textContent = ` à ${email}`;
}
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const value = form.email.value.trim();
  if (!value || form.email.validity.typeMismatch)
    return showFieldErrors(form, [{ field: "email", msg: "Saisissez une adresse électronique valide, par exemple nom@domaine.fr." }]);
  const button = form.querySelector("button");
  setBusy(button, true, "Envoi…");
  try {
    await api("/api/identity/activation/resend", { method: "POST", json: { email: value }, auth: false });
    showAlert(form, "Si un compte en attente d’activation existe pour cette adresse, un nouveau lien vient d’être envoyé.", { title: "Lien renvoyé", type: "success" });
  } catch (err) {
    showError(form, err);
  } finally {
    setBusy(button, false);
  }
});
