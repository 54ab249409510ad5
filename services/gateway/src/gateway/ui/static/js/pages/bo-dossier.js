// The case page: pieces, timeline, dialogue and only the actions allowed now.
import { api, clearErrors, download, fmtDate, fmtSize, h, itemsOf, markField, pathId, requireLogin, setBusy, setTitle, showAlert, showError, todayIso } from "/static/js/api.js";
import "/static/js/layout.js";
import { dialogue, timeline } from "/static/js/case.js";
import { DOC_TYPES, REPERTOIRES, statusBadge } from "/static/js/labels.js";

const user = requireLogin();
const id = pathId();
const page = document.getElementById("page");
const has = (...r) => user.roles.some((x) => r.includes(x));

// state → [role, action] when the case does not list its allowed actions itself.
const BY_STATE = {
  received: [["reviewer", "completeness"]],
  completeness_ok: [["reviewer", "admissibility"]],
  admissible: [["reviewer", "assignment"], ["director", "assignment"]],
  under_instruction: [["instructor", "requests"], ["instructor", "ready"], ["director", "withdraw-admissibility"]],
  awaiting_complement: [["director", "abandon"], ["director", "withdraw-admissibility"]],
  ready_for_commission: [["director", "withdraw-admissibility"]],
  scheduled: [["director", "withdraw-admissibility"]],
  favourable: [["director", "decision"]],
  unfavourable: [["director", "decision"]],
};

const field = (id, label, control, hint) => h("div", { class: control.tagName === "SELECT" ? "fr-select-group" : "fr-input-group" }, h("label", { class: "fr-label", for: id }, label, hint ? h("span", { class: "fr-hint-text" }, hint) : null), control);
const textarea = (id, name) => h("textarea", { class: "fr-input", id, name, rows: 3 });
const lines = (v) => v.split("\n").map((s) => s.trim()).filter(Boolean);

function actionForm(title, fields, submit, label) {
  const form = h("form", { novalidate: true, class: "fr-mb-4w" }, h("h3", { class: "fr-h6" }, title), ...fields, h("button", { class: "fr-btn", type: "submit" }, label));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const button = form.querySelector("button[type=submit]");
    setBusy(button, true, "…");
    try {
      const body = submit(form);
      if (body === null) return;
      await body;
      await render();
      showAlert(page, "L’action est enregistrée.", { title: "Enregistré", type: "success" });
    } catch (err) {
      showError(form, err);
    } finally {
      setBusy(button, false);
    }
  });
  return form;
}

const post = (path, json) => api(`/api/review/cases/${id}/${path}`, { method: "POST", json });

function radios(name, legend, options) {
  return h("fieldset", { class: "fr-fieldset", id: `fs-${name}`, "data-field": name, "aria-labelledby": `lg-${name}` }, h("legend", { class: "fr-fieldset__legend", id: `lg-${name}` }, legend),
    options.map(([value, text], i) => h("div", { class: "fr-fieldset__element" }, h("div", { class: "fr-radio-group" }, h("input", { type: "radio", id: `${name}-${value}`, name, value, checked: i === 0 }), h("label", { class: "fr-label", for: `${name}-${value}` }, text)))));
}
const picked = (form, name) => form.querySelector(`input[name=${name}]:checked`)?.value;

const ACTIONS = {
  completeness: (c) => actionForm("Contrôle de complétude", [
    radios("complete", "Le dossier est-il complet ?", [["true", "Complet"], ["false", "Incomplet : demander des pièces ou informations"]]),
    field("missing", "Pièces manquantes (une par ligne, facultatif)", textarea("missing", "missing"), "Par exemple : criminal_record"),
    field("message", "Message au déposant", textarea("message", "message")),
    field("due_date", "Date limite de réponse (si incomplet)", h("input", { class: "fr-input", type: "date", id: "due_date", name: "due_date", min: todayIso() })),
  ], (f) => post("completeness", { complete: picked(f, "complete") === "true", missing: lines(f.missing.value), message: f.message.value.trim(), ...(f.due_date.value ? { due_date: f.due_date.value } : {}) }), "Enregistrer le contrôle"),
  admissibility: () => actionForm("Contrôle de recevabilité", [
    radios("admissible", "Le dossier est-il recevable ?", [["true", "Recevable"], ["false", "Irrecevable"]]),
    field("reasons", "Motifs", textarea("reasons", "reasons")),
    field("recommendations", "Modifications recommandées (si irrecevable)", textarea("recommendations", "recommendations")),
  ], (f) => post("admissibility", { admissible: picked(f, "admissible") === "true", reasons: f.reasons.value.trim() || null, recommendations: f.recommendations.value.trim() || null }), "Enregistrer la recevabilité"),
  assignment: () => actionForm("Affectation à un instructeur", [
    field("instructor_id", "Identifiant du compte de l’instructeur", h("input", { class: "fr-input", id: "instructor_id", name: "instructor_id", value: user.roles.includes("instructor") ? user.id : "" })),
  ], (f) => post("assignment", { instructor_id: f.instructor_id.value.trim() }), "Affecter"),
  requests: () => actionForm("Demander des compléments", [
    field("items", "Pièces ou précisions demandées (une par ligne)", textarea("items", "items"), "Un type de pièce (ex. criminal_record) ou une question."),
    field("message", "Message au déposant", textarea("req-message", "message")),
    field("due_date", "Date limite", h("input", { class: "fr-input", type: "date", id: "req-due", name: "due_date", min: todayIso() })),
  ], (f) => {
    if (!f.due_date.value) return markField(f.due_date, "Indiquez la date limite."), null;
    return post("requests", { items: lines(f.items.value).map((l) => (DOC_TYPES[l] ? { doc_type: l } : { question: l })), message: f.message.value.trim(), due_date: f.due_date.value });
  }, "Envoyer la demande"),
  ready: () => actionForm("Fin d’instruction", [h("p", {}, "L’instruction est terminée : le dossier peut être inscrit à l’ordre du jour d’une commission.")], () => post("ready", {}), "Prêt pour la commission"),
  abandon: () => actionForm("Déclarer l’abandon", [h("p", {}, "Possible seulement lorsqu’une demande de compléments a dépassé son échéance.")], () => post("abandon", {}), "Déclarer la demande abandonnée"),
  "withdraw-admissibility": () => actionForm("Retirer la recevabilité (données falsifiées)", [field("wa-reason", "Motif", textarea("wa-reason", "reason"))], (f) => {
    if (!f.reason.value.trim()) return markField(f.reason, "Indiquez le motif."), null;
    return post("withdraw-admissibility", { reason: f.reason.value.trim() });
  }, "Retirer la recevabilité"),
  decision: (c) => actionForm("Décision du directeur général", [
    radios("register", "Décision", c.status === "unfavourable" ? [["false", "Refuser l’enregistrement"], ["true", "Enregistrer"]] : [["true", "Enregistrer la certification"], ["false", "Refuser l’enregistrement"]]),
    field("motivation", "Motivation", textarea("motivation", "motivation")),
    field("years", "Durée d’enregistrement (années, 5 au plus)", h("input", { class: "fr-input", type: "number", id: "years", name: "years", min: 1, max: 5, value: 5 })),
  ], (f) => {
    if (!f.motivation.value.trim()) return markField(f.motivation, "La décision doit être motivée."), null;
    const register = picked(f, "register") === "true";
    return post("decision", { register, motivation: f.motivation.value.trim(), ...(register ? { years: Number(f.years.value) } : {}) });
  }, "Enregistrer la décision"),
};

async function pieces() {
  try {
    const items = itemsOf(await api(`/api/filings/${id}/documents`), "documents");
    if (!items.length) return h("p", {}, "Aucune pièce.");
    return h("ul", {}, items.filter((d) => d.current !== false && !d.removed_at).map((d) => h("li", {},
      h("button", { class: "fr-btn fr-btn--tertiary-no-outline fr-btn--sm fr-icon-download-line fr-btn--icon-left", type: "button", onclick: () => download(`/api/filings/${id}/documents/${d.document_id}/content`, d.filename) }, `${DOC_TYPES[d.doc_type] || d.doc_type} — ${d.filename}`),
      ` ${fmtSize(d.size)}, version ${d.version}`, d.document_date ? `, daté du ${fmtDate(d.document_date)}` : "")));
  } catch (err) {
    return h("p", {}, "Pièces indisponibles.");
  }
}

async function render() {
  let c;
  try {
    c = await api(`/api/review/cases/${id}`);
  } catch (err) {
    page.replaceChildren(h("h1", {}, "Dossier"));
    return showError(page, err);
  }
  setTitle(c.title || "Dossier");
  document.getElementById("crumb").textContent = c.title || "Dossier";
  const allowed = c.allowed_actions || c.actions || (BY_STATE[c.status] || []).filter(([role]) => has(role)).map(([, a]) => a);
  const section = (t, ...kids) => h("section", { class: "fr-mt-5w" }, h("h2", {}, t), ...kids);
  page.replaceChildren(
    h("h1", {}, c.title || "Dossier"),
    h("p", {}, statusBadge(c.status, h), ` ${REPERTOIRES[c.repertoire] || c.repertoire || ""}${c.qualification_level ? ` — niveau ${c.qualification_level}` : ""}${c.entity_name ? ` — ${c.entity_name}` : ""}`),
    section("Actions", ...(allowed.filter((a) => ACTIONS[a]).map((a) => ACTIONS[a](c))), allowed.length ? "" : h("p", {}, "Aucune action de votre rôle dans l’état actuel du dossier.")),
    section("Pièces", await pieces()),
    section("Historique", await timeline(id, c)),
    section("Échanges avec le déposant", await dialogue(id, true)),
  );
}
render();
