// The link of the unlock mail: this device's connection may log in again.
import { api, ApiError, h } from "/static/js/api.js";
import "/static/js/layout.js";

const box = document.getElementById("unlock-result");
const token = new URLSearchParams(location.search).get("token");
history.replaceState(null, "", "/connexion/deblocage");

function show(type, title, text, link) {
  box.replaceChildren(
    h("div", { class: `fr-alert fr-alert--${type}` }, h("h2", { class: "fr-alert__title" }, title), h("p", {}, text)),
    h("p", { class: "fr-mt-3w" }, h("a", { class: "fr-btn", href: link[0] }, link[1])),
  );
  box.querySelector("h2").setAttribute("tabindex", "-1");
  box.querySelector("h2").focus();
}

if (!token) {
  show("error", "Lien incomplet", "Ce lien de déblocage est incomplet. Copiez le lien entier depuis le courriel reçu.", ["/connexion", "Se connecter"]);
} else {
  try {
    await api("/api/identity/login/unlock", { method: "POST", json: { token }, auth: false });
    show("success", "Connexion débloquée", "Vous pouvez vous connecter depuis cet appareil.", ["/connexion", "Se connecter"]);
  } catch (err) {
    const used = err instanceof ApiError && err.status === 400;
    show("error", used ? "Lien invalide ou expiré" : "Déblocage impossible", used ? "Ce lien de déblocage n’est plus valable : il a déjà été utilisé ou il a expiré. Une nouvelle tentative de connexion vous en enverra un autre si le blocage dure." : "Le déblocage n’a pas abouti. Réessayez dans quelques instants.", ["/connexion", "Se connecter"]);
  }
}
