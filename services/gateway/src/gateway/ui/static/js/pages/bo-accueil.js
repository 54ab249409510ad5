import { api, h, requireLogin } from "/static/js/api.js";
import "/static/js/layout.js";
import { ROLES } from "/static/js/labels.js";

const user = requireLogin();
const box = document.getElementById("dashboard");
const tiles = [];
const tile = (href, title, desc) => h("div", { class: "fr-col-12 fr-col-md-4" }, h("div", { class: "fr-tile fr-enlarge-link" }, h("div", { class: "fr-tile__body" }, h("div", { class: "fr-tile__content" },
  h("h2", { class: "fr-tile__title" }, h("a", { href }, title)), h("p", { class: "fr-tile__desc" }, desc)))));
const r = user.roles;
async function count(url) {
  try {
    const d = await api(url);
    return d.total ?? (d.items || d).length;
  } catch {
    return null;
  }
}
if (r.includes("si_admin")) {
  const n = await count("/api/identity/account-requests?limit=1");
  tiles.push(tile("/back-office/demandes-de-compte", "Demandes de compte", n === null ? "Nouveaux organismes à valider." : `${n} demande${n > 1 ? "s" : ""} en attente.`));
  tiles.push(tile("/back-office/agents", "Agents", "Créer les comptes des agents et leurs rôles."));
  tiles.push(tile("/back-office/courriels", "Courriels envoyés", "La boîte d’envoi du mode intégré."));
}
if (r.some((x) => ["reviewer", "instructor", "director", "commission"].includes(x))) {
  const n = await count("/api/review/cases?limit=1");
  tiles.push(tile("/back-office/dossiers", "Dossiers", n === null ? "Files de travail par rôle." : `${n} dossier${n > 1 ? "s" : ""} dans vos files.`));
}
if (r.some((x) => ["commission", "director"].includes(x))) tiles.push(tile("/back-office/commission", "Commission", "Séances, ordres du jour et avis."));
box.replaceChildren(
  h("p", {}, `Connecté en tant que ${user.name || user.email} — ${r.map((x) => ROLES[x] || x).join(", ")}.`),
  r.includes("instructor")
    ? h("p", { class: "fr-text--sm" }, "Votre identifiant de compte (à communiquer pour vous affecter un dossier) : ", h("code", { id: "account-id" }, user.id))
    : "",
  h("div", { class: "fr-grid-row fr-grid-row--gutters" }, tiles),
);
