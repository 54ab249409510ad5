// A published certification of the public registry (GET /api/review/registry/{number}).
import { api, fmtDate, h, pathId, setTitle, showError } from "/static/js/api.js";
import "/static/js/layout.js";
import { ficheView } from "/static/js/fiche-view.js";

const box = document.getElementById("record");
const SCOPES = { preparation: "Préparation", assessment: "Organisation des épreuves", both: "Préparation et organisation des épreuves" };
// The certification's partner organisations, each with its dates (removed ones kept).
const partners = (items) => (items.length
  ? [h("h2", { class: "fr-h4 fr-mt-4w", id: "h-partenaires" }, "Organismes partenaires"), h("ul", { id: "partners" }, items.map((p) => h("li", { "data-siret": p.siret, "data-state": p.state },
      `${p.name} (SIRET ${p.siret}) — ${SCOPES[p.scope] || p.scope_label}, depuis le ${fmtDate(p.since)}${p.until ? `, retiré le ${fmtDate(p.until)}` : ""}`)))]
  : []);
// The registration this one renews, the one that renewed it (the former stays readable).
const renewalLinks = (c) => [
  c.renews ? h("p", { id: "renews" }, "Renouvelle la certification ", h("a", { href: `/registre/${encodeURIComponent(c.renews)}` }, c.renews), ".") : null,
  c.renewed_by ? h("p", { id: "renewed-by" }, "Renouvelée par la certification ", h("a", { href: `/registre/${encodeURIComponent(c.renewed_by)}` }, c.renewed_by), ".") : null,
].filter(Boolean);
const number = pathId();
try {
  const c = await api(`/api/review/registry/${encodeURIComponent(number)}`, { auth: false });
  setTitle(`${c.number} — ${c.title}`);
  document.getElementById("crumb").textContent = c.number;
  box.replaceChildren(...ficheView(c));
  // Its renewal links and partner organisations (issue 14).
  box.append(...renewalLinks(c), ...partners(c.partners || []));
} catch (err) {
  box.replaceChildren(h("h1", {}, "Fiche de certification"));
  showError(box, err);
}
