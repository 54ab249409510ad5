import { api, h } from "/static/js/api.js";
import "/static/js/layout.js";

const box = document.getElementById("activation-result");
const token = new URLSearchParams(location.search).get("token");
// The token leaves the address bar (and the history) once read.
history.replaceState(null, "", "/activation");

function show(type, title, text, link) {
  box.replaceChildren(
    h("div", { class: `fr-alert fr-alert--${type}` }, h("h2", { class: "fr-alert__title" }, title), h("p", {}, text)),
    link ? h("p", { class: "fr-mt-3w" }, h("a", { class: "fr-btn", href: link[0] }, link[1])) : null,
  );
  box.querySelector("h2").setAttribute("tabindex", "-1");
  box.querySelector("h2").focus();
}

if (!token) {
  show("error", "Lien incomplet", "Ce lien d’activation est incomplet. Copiez le lien entier depuis le courriel reçu.", ["/comptes/verifiez-votre-messagerie", "Recevoir un nouveau lien"]);
} else {
  try {
    const result = await api("/api/identity/activation", { method: "POST", json: { token }, auth: false });
    if (result?.status === "active")
      show("success", "Compte activé", "Votre compte est activé : vous pouvez vous connecter.", ["/connexion", "Se connecter"]);
    else
      show("success", "Adresse électronique confirmée", "Votre compte est activé. Votre demande est maintenant en attente de validation : vous serez prévenu par courriel dès qu’elle sera traitée.", null);
  } catch (err) {
    show("error", "Lien invalide ou expiré", "Ce lien d’activation n’est plus valable : il a déjà été utilisé ou il a expiré. Demandez un nouveau lien.", ["/comptes/verifiez-votre-messagerie", "Recevoir un nouveau lien"]);
  }
}
