// The Journal officiel (issue 12, point 5): the registrations decided and not yet published
// (GET /api/review/cases?status=awaiting_publication), ticked, and one publication recorded
// for all of them (POST /api/review/publications: all or none); their CSV export.
import { api, clearErrors, download, fmtDate, h, itemsOf, markField, requireLogin, setBusy, showAlert, showError, parisToday } from "/static/js/api.js";
import "/static/js/layout.js";
import { confirmAction } from "/static/js/confirm.js";
import { REPERTOIRES } from "/static/js/labels.js";

requireLogin();
const form = document.getElementById("publish");
const box = document.getElementById("pending");
const LIMIT = 200;

async function pending() {
  const out = [];
  for (let offset = 0; ; offset += LIMIT) {
    const data = await api(`/api/review/cases?status=awaiting_publication&sort=deposited&limit=${LIMIT}&offset=${offset}`);
    const items = itemsOf(data);
    out.push(...items);
    // past 1 000 the total is a lower bound (total_is_lower_bound): read on until a short page
    if (items.length < LIMIT || (!data.total_is_lower_bound && out.length >= (data.total ?? 0))) return out;
  }
}

function ticked() {
  return [...box.querySelectorAll("input[name=filing]:checked")].map((i) => i.value);
}

async function load() {
  let items;
  try {
    items = await pending();
  } catch (err) {
    box.replaceChildren();
    showError(box, err);
    return;
  }
  form.querySelector("fieldset").hidden = !items.length;
  if (!items.length) {
    box.replaceChildren(h("p", { id: "none" }, "Aucune décision n’est en attente de publication au Journal officiel."));
    return;
  }
  const all = h("input", { type: "checkbox", id: "tick-all", "aria-label": "Cocher toutes les décisions" });
  all.addEventListener("change", () => box.querySelectorAll("input[name=filing]").forEach((i) => { i.checked = all.checked; }));
  const rows = items.map((c) => h("tr", { "data-filing": c.filing_id },
    h("td", {}, h("div", { class: "fr-checkbox-group fr-checkbox-group--sm" },
      h("input", { type: "checkbox", name: "filing", value: c.filing_id, id: `tick-${c.filing_id}` }),
      h("label", { class: "fr-label", for: `tick-${c.filing_id}` }, c.registration_number || "—", h("span", { class: "fr-sr-only" }, ` — ${c.title}`)))),
    h("td", {}, h("a", { href: `/back-office/dossiers/${c.filing_id}` }, c.title || "Dossier"),
      c.reference ? [h("br"), h("span", { class: "fr-text--xs", "data-reference": "" }, `Dossier n° ${c.reference}`)] : null),
    h("td", {}, REPERTOIRES[c.repertoire] || c.repertoire, c.qualification_level ? ` — niveau ${c.qualification_level}` : ""),
    h("td", {}, c.organisation || "—"),
    h("td", {}, fmtDate(c.updated_at))));
  box.replaceChildren(h("div", { class: "fr-table", id: "fs-filings" }, h("table", {},
    h("caption", {}, `${items.length} décision${items.length > 1 ? "s" : ""} d’enregistrement en attente de publication`),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, all, " Numéro"), ...["Intitulé", "Répertoire", "Organisme", "Mis à jour le"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows))));
}

function check() {
  clearErrors(form);
  let ok = true;
  const ids = ticked();
  if (!ids.length) {
    showAlert(box, "Cochez au moins une décision publiée.", { title: "Aucune décision cochée" });
    ok = false;
  }
  const f = form;
  if (!f.jo_date.value) ok = (markField(f.jo_date, "Indiquez la date du Journal officiel."), false);
  else if (f.jo_date.value > parisToday()) ok = (markField(f.jo_date, "La date de publication ne peut pas être à venir."), false);
  if (!f.jo_reference.value.trim()) ok = (markField(f.jo_reference, "Indiquez la référence de publication."), false);
  if (!f.effective_date.value) ok = (markField(f.effective_date, "Indiquez la date d’effet."), false);
  else if (f.jo_date.value && f.effective_date.value < f.jo_date.value) ok = (markField(f.effective_date, "La date d’effet ne peut pas précéder la publication."), false);
  return ok ? ids : null;
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  box.querySelectorAll(".fr-alert").forEach((a) => a.remove());
  const ids = check();
  if (!ids) return;
  const n = ids.length;
  const asked = await confirmAction({
    title: `Enregistrer la publication de ${n} décision${n > 1 ? "s" : ""} ?`,
    text: "Les certifications sont enregistrées à la date d’effet ; chaque déposant reçoit sa lettre d’enregistrement.",
    confirmLabel: "Enregistrer la publication",
  });
  if (!asked) return;
  const button = document.getElementById("publish-submit");
  setBusy(button, true, "Enregistrement…");
  try {
    const body = { filing_ids: ids, jo_date: form.jo_date.value, jo_reference: form.jo_reference.value.trim(), effective_date: form.effective_date.value };
    const done = await api("/api/review/publications", { method: "POST", json: body });
    form.reset();
    await load();
    showAlert(box, `${done.items.length} décision${done.items.length > 1 ? "s" : ""} publiée${done.items.length > 1 ? "s" : ""} : ${done.items.map((p) => p.registration_number).join(", ")}.`, { title: "Publication enregistrée", type: "success" });
  } catch (err) {
    showError(form, err);
  } finally {
    setBusy(button, false);
  }
});
document.getElementById("csv").addEventListener("click", (e) => {
  e.preventDefault();
  download(e.currentTarget.href, "decisions-a-publier-au-jo.csv").catch((err) => showError(box, err));
});
load();
