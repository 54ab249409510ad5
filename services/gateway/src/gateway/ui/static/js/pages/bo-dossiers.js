// Work queues: GET /api/review/cases with its filters (status, assignee, repertoire,
// registration_type, overdue, q) and a server-side sort (?sort=), paginated; the same filters export the CSV.
// Each queue's tag carries its count; cases ticked in the table can be assigned, put on a
// commission session or exported together. The API counts up to 1 000 cases: past it the
// total is a lower bound (« Plus de 1 000 dossiers ») and the pager keeps its next page.
import { api, countText, daysLeft, download, fmtDate, h, itemsOf, pager, requireLogin, setBusy, showAlert, showError } from "/static/js/api.js";
import "/static/js/layout.js";
import { REPERTOIRES, STATUSES, statusBadge } from "/static/js/labels.js";
import { QUEUES } from "/static/js/queues.js";

const user = requireLogin();
const form = document.getElementById("filters");
const box = document.getElementById("queue");
const batchBox = document.getElementById("batch");
const PAGE = 25;
const FILTERS = ["q", "status", "assignee", "repertoire", "registration_type"];


// The sortable columns: header → the API's sort key (and the direction a first click asks).
const COLUMNS = [
  ["Dossier", "title", "asc"],
  ["Organisme", "organisation", "asc"],
  ["État", "status", "asc"],
  ["Déposé le", "deposited", "desc"],
  ["Jours depuis le dépôt", "deposited", "asc"],
  ["Échéance", "due", "asc"],
  ["Instructeur", null],
  ["Mis à jour le", "updated", "desc"],
];

const params = new URLSearchParams(location.search);
let offset = Math.max(0, Number(params.get("offset")) || 0);
let sort = params.get("sort") || "";
let sortedBy = null; // the index of the header clicked last
const selected = new Map(); // filing_id → title, kept across pages and sorts

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

async function countOf(q) {
  const c = new URLSearchParams(q);
  c.set("limit", "1");
  try {
    const data = await api(`/api/review/cases?${c}`);
    return { n: data.total, more: data.total_is_lower_bound === true };
  } catch {
    return null;
  }
}

function renderQueues(current) {
  const list = document.getElementById("queues");
  const mine = QUEUES.filter(([role]) => user.roles.includes(role));
  const all = [...mine.map(([, name, f]) => [name, new URLSearchParams(f)]), ["Tous les dossiers", new URLSearchParams()]];
  list.replaceChildren(...all.map(([name, q]) => {
    const here = q.toString() === current.toString();
    const count = h("span", { class: "cr-queue-count" });
    const link = h("a", { class: "fr-tag cr-queue", href: `/back-office/dossiers${q.size ? "?" + q : ""}`, "aria-current": here ? "page" : null }, name, count);
    countOf(q).then((counted) => {
      if (counted === null || counted.n === null || counted.n === undefined) return;
      const { n, more } = counted;
      count.replaceChildren(more ? ` plus de ${n.toLocaleString("fr-FR")}` : ` ${n}`, h("span", { class: "fr-sr-only" }, ` dossier${n > 1 ? "s" : ""}`));
      link.dataset.count = String(n);
      if (more) link.dataset.countLowerBound = "true";
    });
    return h("li", {}, link);
  }));
}

function goTo(to) {
  offset = to;
  load();
  box.focus();
}

function assignee(c) {
  if (!c.assignee_id) return "Non affecté";
  if (c.assignee_id === user.id) return c.assignee_name ? `${c.assignee_name} (vous)` : "Vous";
  return c.assignee_name || "Agent non identifié";
}

// A sortable header: a button asking the next order, aria-sort telling the current one.
// "Déposé le" and "Jours depuis le dépôt" sort the same column, in opposite senses.
function sortHeader([label, key, first], index) {
  if (!key) return h("th", { scope: "col" }, label);
  const days = label.startsWith("Jours");
  let state = null;
  // Of the two deposit columns, only the one clicked (the date, on a fresh page) says it sorts.
  const mine = key !== "deposited" || (sortedBy === null ? !days : sortedBy === index);
  if (mine && sort.replace(/^-/, "") === key) {
    const descending = sort.startsWith("-") !== days;
    state = descending ? "descending" : "ascending";
  }
  const wantsDescending = state ? state === "ascending" : first === "desc";
  const next = `${wantsDescending !== days ? "-" : ""}${key}`;
  const icon = state === "ascending" ? "fr-icon-arrow-up-s-line" : state === "descending" ? "fr-icon-arrow-down-s-line" : "fr-icon-arrow-up-down-line";
  const button = h("button", {
    type: "button", class: "cr-sort", "data-sort": next,
    title: `Trier par « ${label} », ordre ${wantsDescending ? "décroissant" : "croissant"}`,
    onclick: () => {
      sort = next;
      sortedBy = index;
      offset = 0;
      load().then(() => box.querySelector(`th[data-column="${index}"] button`)?.focus());
    },
  }, label, " ", h("span", { class: `${icon} fr-icon--sm`, "aria-hidden": "true" }));
  return h("th", { scope: "col", "data-column": index, "aria-sort": state }, button);
}

function selectBox(c) {
  const id = `select-${c.filing_id}`;
  const input = h("input", { type: "checkbox", id, name: "selected", value: c.filing_id, checked: selected.has(c.filing_id) || null });
  input.addEventListener("change", () => {
    if (input.checked) selected.set(c.filing_id, c.title);
    else selected.delete(c.filing_id);
    renderBatch();
  });
  return h("div", { class: "fr-checkbox-group fr-checkbox-group--sm cr-select" }, input, h("label", { class: "fr-label", for: id }, h("span", { class: "fr-sr-only" }, `Sélectionner « ${c.title} »`)));
}

function row(c) {
  const due = c.due_date ? [fmtDate(c.due_date), h("br"), c.overdue ? h("strong", {}, "dépassée") : daysLeft(c.due_date)] : "—";
  const days = c.days_since_deposit;
  return h("tr", { "data-filing": c.filing_id },
    h("td", {}, selectBox(c)),
    h("td", {}, h("a", { href: `/back-office/dossiers/${c.filing_id}` }, c.title || "Dossier sans intitulé"),
      h("br"), h("span", { class: "fr-text--xs", "data-reference": c.reference || null }, c.reference ? `N° ${c.reference} — ` : "", REPERTOIRES[c.repertoire] || c.repertoire, c.qualification_level ? ` — niveau ${c.qualification_level}` : "",
        c.registration_number ? ` — ${c.registration_number}` : ""),
      c.registration_type === "by_right" ? [h("br"), h("span", { class: "fr-badge fr-badge--sm fr-badge--blue-ecume", "data-by-right": "" }, "Enregistrement de droit")] : null),
    h("td", { "data-column-name": "organisation" }, c.organisation || h("span", { class: "fr-text--sm" }, "Organisme en cours de vérification"),
      c.siret ? [h("br"), h("span", { class: "fr-text--xs" }, `SIRET ${c.siret}`)] : null),
    h("td", {}, statusBadge(c.status, h, c.status_label)),
    h("td", {}, fmtDate(c.deposited_on)),
    h("td", { "data-column-name": "days" }, days == null ? "—" : days === 0 ? "aujourd’hui" : `${days} jour${days > 1 ? "s" : ""}`),
    h("td", {}, due),
    h("td", { "data-column-name": "assignee" }, assignee(c)),
    h("td", {}, fmtDate(c.updated_at)));
}

async function load() {
  const q = query();
  renderQueues(q);
  const listed = new URLSearchParams(q);
  if (sort) listed.set("sort", sort);
  document.getElementById("csv").href = `/api/review/cases.csv${listed.size ? "?" + listed : ""}`;
  const shown = new URLSearchParams(listed);
  if (offset) shown.set("offset", String(offset));
  history.replaceState(null, "", `/back-office/dossiers${shown.size ? "?" + shown : ""}`);
  listed.set("limit", PAGE);
  listed.set("offset", offset);
  try {
    const data = await api(`/api/review/cases?${listed}`);
    const items = itemsOf(data);
    const total = data.total ?? items.length;
    const more = data.total_is_lower_bound === true;
    const all = h("input", { type: "checkbox", id: "select-page" });
    all.checked = items.length > 0 && items.every((c) => selected.has(c.filing_id));
    all.addEventListener("change", () => {
      for (const c of items) {
        if (all.checked) selected.set(c.filing_id, c.title);
        else selected.delete(c.filing_id);
      }
      box.querySelectorAll("tbody input[name=selected]").forEach((i) => (i.checked = all.checked));
      renderBatch();
    });
    const order = sort ? "triés par la colonne choisie" : "échéances dépassées en premier, puis les plus récents";
    box.replaceChildren(
      h("div", { class: "fr-table fr-table--no-caption-top" }, h("table", {},
        h("caption", {}, `${countText(total, more, "dossier")} — ${order}`),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, h("div", { class: "fr-checkbox-group fr-checkbox-group--sm cr-select" }, all, h("label", { class: "fr-label", for: "select-page" }, h("span", { class: "fr-sr-only" }, "Sélectionner les dossiers de cette page")))),
          COLUMNS.map(sortHeader))),
        h("tbody", {}, items.length ? items.map(row) : h("tr", {}, h("td", { colspan: COLUMNS.length + 1 }, "Aucun dossier dans cette file."))))),
      total > PAGE || more ? pager(total, offset, PAGE, goTo, more) : "",
    );
  } catch (err) {
    box.replaceChildren();
    showError(box, err);
  }
}

// ---------------------------------------------------------------- batch actions

const can = (...roles) => roles.some((r) => user.roles.includes(r));
let instructors = null;
let sessions = null;

async function activeInstructors() {
  const all = [];
  for (let off = 0; ; off += 200) {
    const batch = await api(`/api/identity/staff?role=instructor&limit=200&offset=${off}`);
    all.push(...batch.items);
    if (!batch.items.length || all.length >= batch.total) return all;
  }
}

const nameOf = (s) => [s.first_name, s.last_name].filter(Boolean).join(" ") || s.email;

/** Run `call(id)` on every selected case, one after the other; report what passed and what did not. */
async function forEach(button, call, done) {
  const ids = [...selected.keys()];
  setBusy(button, true, "En cours…");
  const failed = [];
  let ok = 0;
  for (const id of ids) {
    try {
      await call(id);
      ok += 1;
      selected.delete(id);
    } catch (err) {
      failed.push(`« ${selected.get(id)} » : ${err?.detail && typeof err.detail === "string" ? err.detail : "action refusée"}`);
    }
  }
  setBusy(button, false);
  await load();
  renderBatch();
  const report = document.getElementById("batch-report");
  const passed = h("div", { "data-report": "passed" });
  const refused = h("div", { "data-report": "refused" });
  report.replaceChildren(passed, refused);
  if (ok) showAlert(passed, done(ok), { title: "Action effectuée", type: "success", focus: !failed.length });
  if (failed.length) showAlert(refused, failed, { title: `${failed.length} dossier${failed.length > 1 ? "s" : ""} non traité${failed.length > 1 ? "s" : ""}` });
}

function renderBatch() {
  const n = selected.size;
  const parts = [h("p", { class: "fr-mb-1w", id: "batch-count", role: "status" }, n ? `${n} dossier${n > 1 ? "s" : ""} sélectionné${n > 1 ? "s" : ""}.` : "Aucun dossier sélectionné : cochez les dossiers à traiter ensemble.")];
  const actions = h("div", { class: "fr-grid-row fr-grid-row--gutters fr-grid-row--bottom" });
  if (can("reviewer", "director")) {
    const select = h("select", { class: "fr-select", id: "batch-instructor", name: "instructor" }, h("option", { value: "" }, "Choisir un instructeur"),
      ...(instructors || []).map((s) => h("option", { value: s.account_id }, nameOf(s))));
    const button = h("button", { class: "fr-btn fr-btn--secondary", type: "button", id: "batch-assign", disabled: !n || null }, "Affecter la sélection");
    button.addEventListener("click", () => {
      if (!select.value) return showAlert(document.getElementById("batch-report"), "Choisissez l’instructeur à qui affecter les dossiers.");
      const who = select.options[select.selectedIndex].text;
      forEach(button, (id) => api(`/api/review/cases/${id}/assignment`, { method: "POST", json: { instructor_id: select.value } }),
        (k) => `${k} dossier${k > 1 ? "s" : ""} affecté${k > 1 ? "s" : ""} à ${who}.`);
    });
    actions.append(h("div", { class: "fr-col-12 fr-col-md-4" }, h("div", { class: "fr-select-group fr-mb-0" }, h("label", { class: "fr-label", for: "batch-instructor" }, "Instructeur"), select)),
      h("div", { class: "fr-col-12 fr-col-md-2" }, button));
  }
  if (can("commission")) {
    const select = h("select", { class: "fr-select", id: "batch-session", name: "session" }, h("option", { value: "" }, "Choisir une séance"),
      ...(sessions || []).map((s) => h("option", { value: s.id }, `Séance du ${fmtDate(s.date)}`)));
    const button = h("button", { class: "fr-btn fr-btn--secondary", type: "button", id: "batch-schedule", disabled: !n || null }, "Inscrire à la séance");
    button.addEventListener("click", () => {
      if (!select.value) return showAlert(document.getElementById("batch-report"), "Choisissez la séance de la commission.");
      const which = select.options[select.selectedIndex].text;
      forEach(button, (id) => api(`/api/review/sessions/${select.value}/agenda`, { method: "POST", json: { filing_id: id } }),
        (k) => `${k} dossier${k > 1 ? "s" : ""} inscrit${k > 1 ? "s" : ""} à l’ordre du jour de la ${which.toLowerCase()}.`);
    });
    actions.append(h("div", { class: "fr-col-12 fr-col-md-4" }, h("div", { class: "fr-select-group fr-mb-0" }, h("label", { class: "fr-label", for: "batch-session" }, "Séance de la commission"), select)),
      h("div", { class: "fr-col-12 fr-col-md-2" }, button));
  }
  const exportButton = h("button", { class: "fr-btn fr-btn--tertiary fr-icon-download-line fr-btn--icon-left", type: "button", id: "batch-export", disabled: !n || null }, "Exporter la sélection (CSV)");
  exportButton.addEventListener("click", () => {
    const q = new URLSearchParams({ ids: [...selected.keys()].join(",") });
    if (sort) q.set("sort", sort);
    download(`/api/review/cases.csv?${q}`, "dossiers-selection.csv").catch((err) => showError(document.getElementById("batch-report"), err));
  });
  actions.append(h("div", { class: "fr-col-12 fr-col-md-12" }, exportButton));
  if (n) {
    const clear = h("button", { class: "fr-btn fr-btn--tertiary-no-outline fr-btn--sm", type: "button" }, "Vider la sélection");
    clear.addEventListener("click", () => {
      selected.clear();
      box.querySelectorAll("input[name=selected], #select-page").forEach((i) => (i.checked = false));
      renderBatch();
    });
    parts.push(clear);
  }
  batchBox.replaceChildren(h("h2", { class: "fr-h6 fr-mb-1w", id: "batch-title" }, "Traiter la sélection"), ...parts, actions, h("div", { id: "batch-report", class: "fr-mt-2w" }));
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
renderBatch();
load();
Promise.all([
  can("reviewer", "director") ? activeInstructors().catch(() => []) : null,
  can("commission") ? api("/api/review/sessions?upcoming=true&limit=50").then((d) => itemsOf(d)).catch(() => []) : null,
]).then(([i, s]) => {
  instructors = i;
  sessions = s;
  const report = document.getElementById("batch-report")?.cloneNode(true);
  renderBatch();
  if (report) document.getElementById("batch-report").replaceWith(report);
});
