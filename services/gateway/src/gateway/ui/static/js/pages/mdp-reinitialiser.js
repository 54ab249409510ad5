// Reset (forgot password) and first password of a staff account: the same form.
import { api, ApiError, clearErrors, h, isBackOffice, setBusy, showAlert, showError, showFieldErrors } from "/static/js/api.js";
import "/static/js/layout.js";

const form = document.getElementById("reset-form");
const token = new URLSearchParams(location.search).get("token");
const defining = location.pathname.endsWith("/definir");
history.replaceState(null, "", location.pathname);
if (!token) showAlert(form, "Ce lien est incomplet. Copiez le lien entier depuis le courriel reçu.", { title: "Lien incomplet", focus: false });

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const errors = [];
  if (!form.new_password.value) errors.push({ field: "new_password", msg: "Choisissez un mot de passe." });
  else if (form.new_password.value !== form.confirm.value) errors.push({ field: "confirm", msg: "Les deux mots de passe ne sont pas identiques." });
  if (errors.length) return showFieldErrors(form, errors);
  const button = form.querySelector("button");
  setBusy(button, true, "Enregistrement…");
  try {
    await api("/api/identity/password/reset", { method: "POST", json: { token, new_password: form.new_password.value }, auth: false });
    form.replaceWith(
      h("div", {},
        h("div", { class: "fr-alert fr-alert--success fr-mb-3w", role: "status" }, h("h2", { class: "fr-alert__title" }, "Mot de passe enregistré"), h("p", {}, "Vous pouvez maintenant vous connecter.")),
        h("a", { class: "fr-btn", href: defining ? "/back-office/connexion" : "/connexion" }, "Se connecter"),
      ),
    );
  } catch (err) {
    if (err instanceof ApiError && err.status === 400)
      showAlert(form, h("span", {}, "Ce lien n’est plus valable : il a déjà été utilisé ou il a expiré. ", h("a", { href: "/mot-de-passe/oublie" }, "Demander un nouveau lien"), "."), { title: "Lien invalide ou expiré" });
    else showError(form, err);
  } finally {
    setBusy(button, false);
  }
});
