import { api, daysLeft, fmtDate, h, itemsOf, requireLogin, showError } from "/static/js/api.js";
import "/static/js/layout.js";
import { REPERTOIRES, statusBadge } from "/static/js/labels.js";

const user = requireLogin();
const form = document.getElementById("filters");
const box = document.getElementById("queue");
const PAGE = 25;
const params = new URLSearchParams(location.search);
for (const k of ["status", "repertoire"]) form[k].value = params.get(k) || "";
form.mine.checked = params.get("mine") === "1";
form.overdue.checked = params.get("overdue") === "1";
let offset = Number(params.get("offset") || 0);

function query() {
  const q = new URLSearchParams();
  if (form.status.value) q.set("status", form.status.value);
  if (form.repertoire.value) q.set("repertoire", form.repertoire.value);
  if (form.mine.checked) q.set("assignee", user.id);
  if (form.overdue.checked) q.set("overdue", "true");
  return q;
}

async function load() {
  const q = query();
  document.getElementById("csv").href = `/api/review/cases.csv?${q}`;
  const shown = new URLSearchParams({ ...Object.fromEntries(q), ...(form.mine.checked ? { mine: "1" } : {}), ...(form.overdue.checked ? { overdue: "1" } : {}), offset: String(offset) });
  shown.delete("assignee");
  history.replaceState(null, "", `/back-office/dossiers?${shown}`);
  q.set("limit", PAGE);
  q.set("offset", offset);
  try {
    const data = await api(`/api/review/cases?${q}`);
    const items = itemsOf(data);
    const total = data.total ?? items.length;
    const rows = items.map((c) => h("tr", {},
      h("td", {}, h("a", { href: `/back-office/dossiers/${c.filing_id}` }, c.title || c.filing_id)),
      h("td", {}, c.entity_name || c.denomination || "—"),
      h("td", {}, REPERTOIRES[c.repertoire] || c.repertoire),
      h("td", {}, statusBadge(c.status, h)),
      h("td", {}, c.due_date ? [fmtDate(c.due_date), h("br"), h("span", { class: c.overdue ? "fr-text--bold" : "" }, daysLeft(c.due_date))] : "—"),
      h("td", {}, c.assignee_name || (c.assignee_id ? "affecté" : "—"))));
    const pager = h("nav", { role: "navigation", class: "fr-pagination", "aria-label": "Pagination" }, h("ul", { class: "fr-pagination__list" },
      h("li", {}, offset > 0 ? h("button", { class: "fr-pagination__link fr-pagination__link--prev fr-pagination__link--lg-label", type: "button", onclick: () => { offset = Math.max(0, offset - PAGE); load(); } }, "Page précédente") : h("a", { class: "fr-pagination__link fr-pagination__link--prev fr-pagination__link--lg-label", "aria-disabled": "true", role: "link" }, "Page précédente")),
      h("li", {}, h("a", { class: "fr-pagination__link", "aria-current": "page", title: `Page ${offset / PAGE + 1}` }, String(offset / PAGE + 1))),
      h("li", {}, offset + PAGE < total ? h("button", { class: "fr-pagination__link fr-pagination__link--next fr-pagination__link--lg-label", type: "button", onclick: () => { offset += PAGE; load(); } }, "Page suivante") : h("a", { class: "fr-pagination__link fr-pagination__link--next fr-pagination__link--lg-label", "aria-disabled": "true", role: "link" }, "Page suivante"))));
    box.replaceChildren(
      h("div", { class: "fr-table" }, h("table", {},
        h("caption", {}, `${total} dossier${total > 1 ? "s" : ""} (échéances dépassées en premier)`),
        h("thead", {}, h("tr", {}, ["Intitulé", "Organisme", "Répertoire", "État", "Échéance", "Instructeur"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 6 }, "Aucun dossier dans cette file."))))),
      total > PAGE ? pager : "",
    );
  } catch (err) {
    box.replaceChildren();
    showError(box, err);
  }
}
form.addEventListener("submit", (e) => {
  e.preventDefault();
  offset = 0;
  load();
});
document.getElementById("csv").addEventListener("click", async (e) => {
  e.preventDefault();
  const { download } = await import("/static/js/api.js");
  download(e.currentTarget.href, "dossiers.csv").catch((err) => showError(box, err));
});
load();
