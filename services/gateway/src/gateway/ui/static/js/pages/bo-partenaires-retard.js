// The partner organisations declared late (issue 14): additions and removals the certifier
// declared more than the declaration period after they took effect
// (GET /api/review/partners/late, case staff), latest first, a page at a time.
import { api, fmtDate, fmtDateTime, h, itemsOf, pager, requireLogin, showError } from "/static/js/api.js";
import "/static/js/layout.js";

requireLogin();
const box = document.getElementById("late");
const PAGE = 50;
let offset = 0;

function days(n) {
  return `${n} jour${n > 1 ? "s" : ""}`;
}

// What was declared late: the addition, the removal, or both.
function changes(item) {
  const p = item.partner;
  const out = [];
  if (item.days_late > 0) {
    out.push(h("p", { class: "fr-mb-1v", "data-change": "added" },
      `Ajout : habilité depuis le ${fmtDate(p.since)}, déclaré le ${fmtDateTime(p.declared_at)} — `,
      h("strong", {}, `${days(item.days_late)} de retard`)));
  }
  if (item.removal_days_late > 0) {
    out.push(h("p", { class: "fr-mb-1v", "data-change": "removed" },
      `Retrait : jusqu’au ${fmtDate(p.until)}, déclaré le ${fmtDateTime(p.removal_declared_at)} — `,
      h("strong", {}, `${days(item.removal_days_late)} de retard`)));
  }
  return out;
}

function goTo(to) {
  offset = to;
  load();
  box.focus();
}

async function load() {
  let data;
  try {
    data = await api(`/api/review/partners/late?limit=${PAGE}&offset=${offset}`);
  } catch (err) {
    box.replaceChildren();
    showError(box, err);
    return;
  }
  const items = itemsOf(data);
  const total = data.total ?? items.length;
  if (!total) {
    box.replaceChildren(h("p", { id: "none" }, "Aucune déclaration tardive d’organisme partenaire."));
    return;
  }
  const rows = items.map((item) => h("tr", { "data-number": item.number, "data-siret": item.partner.siret },
    h("td", {}, h("a", { href: `/registre/${encodeURIComponent(item.number)}` }, item.number)),
    h("td", {}, h("a", { href: `/back-office/dossiers/${item.filing_id}` }, item.title || "Dossier")),
    h("td", {}, item.partner.name, h("br"), h("span", { class: "fr-text--xs" }, `SIRET ${item.partner.siret}`)),
    h("td", {}, item.partner.scope_label || item.partner.scope),
    h("td", {}, ...changes(item))));
  box.replaceChildren(
    h("div", { class: "fr-table", id: "late-table" }, h("table", {},
      h("caption", {}, `${total} déclaration${total > 1 ? "s" : ""} tardive${total > 1 ? "s" : ""}`),
      h("thead", {}, h("tr", {}, ...["Certification", "Intitulé", "Organisme partenaire", "Habilitation", "Déclaration tardive"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows))),
    total > PAGE ? pager(total, offset, PAGE, goTo) : "");
}

load();
