// The back office's dashboard: the agent's work queues with their counts, the nearest
// deadlines of the cases they work on, and the other areas of their roles.
import { api, countText, daysLeft, fmtDate, h, itemsOf, requireLogin } from "/static/js/api.js";
import "/static/js/layout.js";
import { ROLES, statusBadge } from "/static/js/labels.js";
import { queuesOf } from "/static/js/queues.js";

const user = requireLogin();
const box = document.getElementById("dashboard");
const tiles = [];
const tile = (href, title, desc) => h("div", { class: "fr-col-12 fr-col-md-4" }, h("div", { class: "fr-tile fr-enlarge-link" }, h("div", { class: "fr-tile__body" }, h("div", { class: "fr-tile__content" },
  h("h3", { class: "fr-tile__title" }, h("a", { href }, title)), h("p", { class: "fr-tile__desc" }, desc)))));
const r = user.roles;
const caseStaff = r.some((x) => ["reviewer", "instructor", "director", "commission"].includes(x));
/** A list's count: `{n, more}`, `more` when it stopped counting (the case list past
 * 1 000: « Plus de 1 000 »); null when it could not be read. */
async function count(url) {
  try {
    const d = await api(url);
    return { n: d.total ?? (d.items || d).length, more: d.total_is_lower_bound === true };
  } catch {
    return null;
  }
}

/** Each queue of the agent's roles, its count, a link to it. */
async function queues() {
  const mine = queuesOf(r);
  const counts = await Promise.all(mine.map(([, q]) => count(`/api/review/cases?limit=1&${q}`)));
  return h("section", { class: "fr-mb-5w", "aria-labelledby": "queues-title" },
    h("h2", { id: "queues-title", class: "fr-h4" }, "Vos files de travail"),
    h("div", { class: "fr-table" }, h("table", { id: "queue-counts" },
      h("caption", { class: "fr-sr-only" }, "Nombre de dossiers dans chaque file"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "File"), h("th", { scope: "col" }, "Dossiers"))),
      h("tbody", {}, mine.map(([name, q], i) => h("tr", { "data-queue": name },
        h("th", { scope: "row" }, h("a", { href: `/back-office/dossiers?${q}` }, name)),
        h("td", {}, counts[i] === null ? "—" : counts[i].more ? `Plus de ${counts[i].n.toLocaleString("fr-FR")}` : String(counts[i].n))))))));
}

/** The nearest deadlines (requests, incomplete dossiers, improved dossiers) of the cases in reach. */
async function deadlines() {
  const q = new URLSearchParams({ sort: "due", limit: "10" });
  if (r.includes("instructor") && !r.some((x) => ["reviewer", "director", "commission"].includes(x))) q.set("assignee", "me");
  let items = [];
  try {
    items = itemsOf(await api(`/api/review/cases?${q}`)).filter((c) => c.due_date);
  } catch {
    items = null;
  }
  const section = h("section", { class: "fr-mb-5w", "aria-labelledby": "deadlines-title" }, h("h2", { id: "deadlines-title", class: "fr-h4" }, "Prochaines échéances"));
  if (items === null) section.append(h("p", {}, "Les échéances n’ont pas pu être lues."));
  else if (!items.length) section.append(h("p", {}, "Aucune échéance en cours."));
  else section.append(h("div", { class: "fr-table" }, h("table", { id: "deadlines" },
    h("caption", { class: "fr-sr-only" }, "Les dossiers dont l’échéance est la plus proche"),
    h("thead", {}, h("tr", {}, ["Dossier", "Organisme", "État", "Échéance"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, items.map((c) => h("tr", { "data-filing": c.filing_id },
      h("td", {}, h("a", { href: `/back-office/dossiers/${c.filing_id}` }, c.title),
        c.reference ? [h("br"), h("span", { class: "fr-text--xs", "data-reference": "" }, `N° ${c.reference}`)] : null),
      h("td", {}, c.organisation || "—"),
      h("td", {}, statusBadge(c.status, h, c.status_label)),
      h("td", {}, fmtDate(c.due_date), h("br"), c.overdue ? h("strong", {}, "dépassée") : daysLeft(c.due_date))))))));
  return section;
}

if (r.includes("si_admin")) {
  const c = await count("/api/identity/account-requests?limit=1");
  tiles.push(tile("/back-office/demandes-de-compte", "Demandes de compte", c === null ? "Nouveaux organismes à valider." : `${countText(c.n, c.more, "demande")} en attente.`));
  tiles.push(tile("/back-office/agents", "Agents", "Créer les comptes des agents et leurs rôles."));
  tiles.push(tile("/back-office/courriels", "Courriels envoyés", "La boîte d’envoi du mode intégré."));
}
if (caseStaff) {
  const c = await count("/api/review/cases?limit=1");
  tiles.push(tile("/back-office/dossiers", "Dossiers", c === null ? "Files de travail par rôle." : `${countText(c.n, c.more, "dossier")} au total.`));
}
if (r.some((x) => ["commission", "director"].includes(x))) tiles.push(tile("/back-office/commission", "Commission", "Séances, ordres du jour et avis."));
const [queueBox, deadlineBox] = caseStaff ? await Promise.all([queues(), deadlines()]) : [null, null];
box.replaceChildren(
  h("p", {}, `Connecté en tant que ${user.name || user.email} — ${r.map((x) => ROLES[x] || x).join(", ")}.`),
  r.includes("instructor")
    ? h("p", { class: "fr-text--sm" }, "Votre identifiant de compte (à communiquer pour vous affecter un dossier) : ", h("code", { id: "account-id" }, user.id))
    : "",
  queueBox || "",
  deadlineBox || "",
  h("section", { "aria-labelledby": "areas-title" }, h("h2", { id: "areas-title", class: "fr-h4" }, "Accès rapides"), h("div", { class: "fr-grid-row fr-grid-row--gutters" }, tiles)),
);
