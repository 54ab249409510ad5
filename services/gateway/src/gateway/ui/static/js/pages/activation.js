// The activation link proves the mailbox, the password chosen at sign-up proves the
// sign-up: both are needed (a link never activates a password somebody else chose).
import { api, ApiError, clearErrors, h, setBusy, showAlert, showError, showFieldErrors } from "/static/js/api.js";
import "/static/js/layout.js";

const form = document.getElementById("activation-form");
const box = document.getElementById("activation-result");
const token = new URLSearchParams(location.search).get("token");
// The token leaves the address bar (and the history) once read.
history.replaceState(null, "", "/activation");

function show(type, title, text, link) {
  form.remove();
  // replaceChildren writes a null as the text "null": only the nodes.
  box.replaceChildren(...[
    h("div", { class: `fr-alert fr-alert--${type}` }, h("h2", { class: "fr-alert__title" }, title), h("p", {}, text)),
    link ? h("p", { class: "fr-mt-3w" }, h("a", { class: "fr-btn", href: link[0] }, link[1])) : null,
  ].filter(Boolean));
  box.querySelector("h2").setAttribute("tabindex", "-1");
  box.querySelector("h2").focus();
}

const newLink = ["/comptes/verifiez-votre-messagerie", "Recevoir un nouveau lien"];
if (!token) {
  show("error", "Lien incomplet", "Ce lien d’activation est incomplet. Copiez le lien entier depuis le courriel reçu.", newLink);
} else {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!form.password.value) return showFieldErrors(form, [{ field: "password", msg: "Saisissez le mot de passe choisi à l’inscription." }]);
    const button = form.querySelector("button");
    setBusy(button, true, "Activation…");
    try {
      const result = await api("/api/identity/activation", { method: "POST", json: { token, password: form.password.value }, auth: false });
      if (result?.status === "active")
        show("success", "Compte activé", "Votre compte est activé : vous pouvez vous connecter.", ["/connexion", "Se connecter"]);
      else
        show("success", "Adresse électronique confirmée", "Votre compte est activé. Votre demande est maintenant en attente de validation : vous serez prévenu par courriel dès qu’elle sera traitée.", null);
    } catch (err) {
      if (err instanceof ApiError && err.status === 400 && err.code === "token_used")
        // The link is consumed only by a successful activation.
        show("info", "Compte déjà activé", "Ce lien a déjà servi : votre adresse est confirmée. Connectez-vous avec votre adresse électronique et votre mot de passe.", ["/connexion", "Se connecter"]);
      else if (err instanceof ApiError && err.status === 400)
        show("error", "Lien invalide ou expiré", "Ce lien d’activation n’est plus valable : il a déjà été utilisé, il a expiré, ou une nouvelle inscription avec cette adresse l’a remplacé. Demandez un nouveau lien.", newLink);
      else if (err instanceof ApiError && err.status === 422 && err.body?.detail?.[0]?.type === "password_mismatch") {
        showFieldErrors(form, [{ field: "password", msg: "Ce n’est pas le mot de passe choisi à l’inscription." }]);
        showAlert(form, h("span", {}, err.body.detail[0].msg, " ", h("a", { href: "/comptes/creer" }, "S’inscrire à nouveau"), "."), { title: "Mot de passe différent", focus: false });
      } else if (err instanceof ApiError && err.status === 429)
        showAlert(form, err.detail || "Trop de tentatives : patientez avant de réessayer.", { title: "Trop de tentatives" });
      else showError(form, err);
    } finally {
      setBusy(button, false);
    }
  });
}
