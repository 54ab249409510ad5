// Work queues: GET /api/review/cases with its filters (status, assignee, repertoire,
// overdue, q), overdue cases first, paginated; the same filters export the CSV.
import { api, daysLeft, download, fmtDate, h, itemsOf, requireLogin, showError } from "/static/js/api.js";
import "/static/js/layout.js";
import { REPERTOIRES, STATUSES, statusBadge } from "/static/js/labels.js";

const user = requireLogin();
const form = document.getElementById("filters");
const box = document.getElementById("queue");
const PAGE = 25;
const FILTERS = ["q", "status", "assignee", "repertoire"];

// The queues of each role: a name and the filters that make it.
const QUEUES = [
  ["reviewer", "À contrôler", { status: "received,completeness_ok" }],
  ["reviewer", "À affecter", { status: "admissible" }],
  ["instructor", "Mes dossiers en instruction", { assignee: "me", status: "under_instruction,awaiting_complement" }],
  ["commission", "Pour la commission", { status: "ready_for_commission,scheduled" }],
  ["director", "À décider", { status: "favourable,unfavourable" }],
  ["director", "Échéances dépassées", { overdue: "true" }],
];

const params = new URLSearchParams(location.search);
let offset = Math.max(0, Number(params.get("offset")) || 0);

function statusOption(value) {
  if (!value || [...form.status.options].some((o) => o.value === value)) return;
  const label = value.split(",").map((s) => STATUSES[s]?.[0] || s).join(", ");
  form.status.append(h("option", { value }, label));
}

function fillForm(p) {
  statusOption(p.get("status"));
  for (const k of FILTERS) form[k].value = p.get(k) || "";
  form.overdue.checked = p.get("overdue") === "true";
}

function query() {
  const q = new URLSearchParams();
  for (const k of FILTERS) if (form[k].value.trim()) q.set(k, form[k].value.trim());
  if (form.overdue.checked) q.set("overdue", "true");
  return q;
}

function renderQueues(current) {
  const list = document.getElementById("queues");
  const mine = QUEUES.filter(([role]) => user.roles.includes(role));
  const all = [...mine.map(([, name, f]) => [name, new URLSearchParams(f)]), ["Tous les dossiers", new URLSearchParams()]];
  list.replaceChildren(...all.map(([name, q]) => {
    const here = q.toString() === current.toString();
    return h("li", {}, h("a", { class: "fr-tag", href: `/back-office/dossiers${q.size ? "?" + q : ""}`, "aria-current": here ? "page" : null }, name));
  }));
}

function pager(total) {
  const pages = Math.ceil(total / PAGE);
  const current = Math.floor(offset / PAGE) + 1;
  const go = (n) => () => {
    offset = (n - 1) * PAGE;
    load();
    box.focus();
  };
  const link = (label, n, cls, enabled) => h("li", {}, enabled
    ? h("button", { class: `fr-pagination__link ${cls}`, type: "button", onclick: go(n) }, label)
    : h("a", { class: `fr-pagination__link ${cls}`, "aria-disabled": "true", role: "link" }, label));
  return h("nav", { role: "navigation", class: "fr-pagination", "aria-label": "Pagination" }, h("ul", { class: "fr-pagination__list" },
    link("Première page", 1, "fr-pagination__link--first", current > 1),
    link("Page précédente", current - 1, "fr-pagination__link--prev fr-pagination__link--lg-label", current > 1),
    h("li", {}, h("a", { class: "fr-pagination__link", "aria-current": "page", title: `Page ${current} sur ${pages}` }, `${current} / ${pages}`)),
    link("Page suivante", current + 1, "fr-pagination__link--next fr-pagination__link--lg-label", current < pages),
    link("Dernière page", pages, "fr-pagination__link--last", current < pages)));
}

function assignee(c) {
  if (!c.assignee_id) return "Non affecté";
  return c.assignee_id === user.id ? "Vous" : "Affecté";
}

async function load() {
  const q = query();
  renderQueues(q);
  document.getElementById("csv").href = `/api/review/cases.csv${q.size ? "?" + q : ""}`;
  const shown = new URLSearchParams(q);
  if (offset) shown.set("offset", String(offset));
  history.replaceState(null, "", `/back-office/dossiers${shown.size ? "?" + shown : ""}`);
  q.set("limit", PAGE);
  q.set("offset", offset);
  try {
    const data = await api(`/api/review/cases?${q}`);
    const items = itemsOf(data);
    const total = data.total ?? items.length;
    const rows = items.map((c) => h("tr", { "data-filing": c.filing_id },
      h("td", {}, h("a", { href: `/back-office/dossiers/${c.filing_id}` }, c.title || c.filing_id), c.registration_number ? h("br") : null, c.registration_number || null),
      h("td", {}, REPERTOIRES[c.repertoire] || c.repertoire, c.qualification_level ? ` — niveau ${c.qualification_level}` : "", c.is_cqp ? " — CQP" : ""),
      h("td", {}, statusBadge(c.status, h, c.status_label)),
      h("td", {}, c.due_date ? [fmtDate(c.due_date), h("br"), c.overdue ? h("strong", {}, "dépassée") : daysLeft(c.due_date)] : "—"),
      h("td", {}, assignee(c)),
      h("td", {}, fmtDate(c.updated_at))));
    box.replaceChildren(
      h("div", { class: "fr-table" }, h("table", {},
        h("caption", {}, `${total} dossier${total > 1 ? "s" : ""} — échéances dépassées en premier, puis les plus récents`),
        h("thead", {}, h("tr", {}, ["Intitulé", "Répertoire", "État", "Échéance", "Instructeur", "Mis à jour le"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 6 }, "Aucun dossier dans cette file."))))),
      total > PAGE ? pager(total) : "",
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
document.getElementById("csv").addEventListener("click", (e) => {
  e.preventDefault();
  download(e.currentTarget.href, "dossiers.csv").catch((err) => showError(box, err));
});
box.tabIndex = -1;
fillForm(params);
load();
