import { api, clearErrors, h, requireLogin, setBusy, showAlert, showError, showFieldErrors } from "/static/js/api.js";
import "/static/js/layout.js";

requireLogin();
const form = document.getElementById("staff-form");
form.addEventListener("submit", async (e) => {
  e.preventDefault();
  clearErrors(form);
  const v = (n) => form[n].value.trim();
  const roles = [...form.querySelectorAll("input[name=roles]:checked")].map((i) => i.value);
  const errors = [];
  if (!v("first_name")) errors.push({ field: "first_name", msg: "Saisissez le prénom." });
  if (!v("last_name")) errors.push({ field: "last_name", msg: "Saisissez le nom." });
  if (!v("email") || form.email.validity.typeMismatch) errors.push({ field: "email", msg: "Saisissez une adresse électronique valide, par exemple nom@domaine.fr." });
  if (!roles.length) errors.push({ field: "roles", msg: "Choisissez au moins un rôle." });
  if (errors.length) return showFieldErrors(form, errors);
  const button = form.querySelector("button[type=submit]");
  setBusy(button, true, "Création…");
  try {
    const made = await api("/api/identity/staff", { method: "POST", json: { email: v("email"), first_name: v("first_name"), last_name: v("last_name"), roles } });
    const box = showAlert(form, `Le compte de ${v("first_name")} ${v("last_name")} (${made.email}) est créé : un courriel lui permet de définir son mot de passe.`, { title: "Compte créé", type: "success" });
    box.append(h("p", {}, "Identifiant du compte : ", h("code", { class: "cr-account-id" }, made.account_id)));
    form.reset();
  } catch (err) {
    showError(form, err);
  } finally {
    setBusy(button, false);
  }
});
