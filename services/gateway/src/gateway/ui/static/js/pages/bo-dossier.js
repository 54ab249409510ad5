// The case page of the back office: the case's state (stepper of the procedure, summary
// with the depositor's contact), only the actions review allows now (`allowed_actions`),
// then DSFR tabs — Demande, Pièces (with each piece's versions), Messagerie (attachments
// both ways), Annotations privées (never shown to the depositor), Avis (instruction report,
// external opinions, the commission's opinion), Historique.
import { api, clearErrors, daysLeft, download, fmtDate, fmtDateTime, fmtSize, h, itemsOf, markField, messageOf, pathId, requireLogin, setBusy, setTitle, showAlert, showError, parisToday } from "/static/js/api.js";
import { refreshBell } from "/static/js/layout.js";
import { caseOverview, criteria, decisionBox, opinionBox } from "/static/js/case.js";
import { clearDrafts } from "/static/js/autosave.js";
import { memberNames, pieceHistory } from "/static/js/pieces.js";
import { stepper } from "/static/js/procedure.js";
import { reveal, tabs } from "/static/js/tabs.js";
import { dialogue } from "/static/js/thread.js";
import { confirmAction } from "/static/js/confirm.js";
import { ACTOR_ROLES, FILING_FIELDS, OPINIONS, REPERTOIRES, itemLabel, statusBadge } from "/static/js/labels.js";
import { opinionForm } from "/static/js/opinion.js";
import { CHANGE_KINDS, ficheChanges, fichePreview } from "/static/js/fiche-form.js";
import { BASIS_LABELS, ROUTE_LABELS } from "/static/js/fiche-view.js";

const user = requireLogin();
const id = pathId();
const page = document.getElementById("page");

const textarea = (fid, name, rows = 3) => h("textarea", { class: "fr-input", id: fid, name, rows });
const field = (fid, label, control, hint) => h("div", { class: control.tagName === "SELECT" ? "fr-select-group" : "fr-input-group" },
  h("label", { class: "fr-label", for: fid }, label, hint ? h("span", { class: "fr-hint-text" }, hint) : null), control);
const dateInput = (fid, name) => h("input", { class: "fr-input", type: "date", id: fid, name, min: parisToday() });
const lines = (v) => v.split("\n").map((s) => s.trim()).filter(Boolean);
const staffName = (s) => `${s.first_name} ${s.last_name} — ${s.email}`;
const byRight = (c) => c.registration_type === "by_right";
const post = (path, json) => api(`/api/review/cases/${id}/${path}`, { method: "POST", json });

function radios(name, legend, options) {
  return h("fieldset", { class: "fr-fieldset", id: `fs-${name}`, "data-field": name, "aria-labelledby": `lg-${name}` },
    h("legend", { class: "fr-fieldset__legend", id: `lg-${name}` }, legend),
    options.map(([value, text]) => h("div", { class: "fr-fieldset__element" }, h("div", { class: "fr-radio-group" },
      h("input", { type: "radio", id: `${name}-${value}`, name, value }), h("label", { class: "fr-label", for: `${name}-${value}` }, text)))));
}
const picked = (form, name) => form.querySelector(`input[name=${name}]:checked`)?.value;
/** The choice made among radios, or null after saying it is missing (none is preselected). */
function choice(form, name, msg) {
  const value = picked(form, name);
  if (value === undefined) markField(form.querySelector(`#fs-${name}`), msg);
  return value ?? null;
}

function checkboxes(name, legend, options, hint) {
  return h("fieldset", { class: "fr-fieldset", id: `fs-${name}`, "data-field": name, "aria-labelledby": `lg-${name}` },
    h("legend", { class: "fr-fieldset__legend", id: `lg-${name}` }, legend, hint ? h("span", { class: "fr-hint-text" }, hint) : null),
    options.map(([value, text]) => h("div", { class: "fr-fieldset__element" }, h("div", { class: "fr-checkbox-group fr-checkbox-group--sm" },
      h("input", { type: "checkbox", id: `${name}-${value}`, name, value }), h("label", { class: "fr-label", for: `${name}-${value}` }, text)))));
}
const checked = (form, name) => [...form.querySelectorAll(`input[name=${name}]:checked`)].map((i) => i.value);

/** Every active instructor (identity's staff list, page by page), or null when it cannot be read. */
async function activeInstructors() {
  const all = [];
  try {
    for (let offset = 0; ; offset += 200) {
      const batch = await api(`/api/identity/staff?role=instructor&limit=200&offset=${offset}`);
      all.push(...batch.items);
      if (!batch.items.length || all.length >= batch.total) return all;
    }
  } catch {
    return null;
  }
}

/** One action's form; `submit(form)` returns the call's promise, or null when it showed an error. */
// `confirm(form)`: the irreversible ones ask first ({title, text, confirmLabel}, see confirm.js);
// their `submit` returns a function making the call once confirmed. `secondary`: a destructive action.
function actionForm(key, title, fields, submit, label, { intro, confirm, secondary } = {}) {
  const form = h("form", { novalidate: true, class: "fr-mb-5w", "data-action": key }, h("h3", { class: "fr-h5" }, title), intro ? h("p", {}, intro) : null, ...fields,
    h("button", { class: secondary ? "fr-btn fr-btn--secondary" : "fr-btn", type: "submit" }, label));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const button = form.querySelector("button[type=submit]");
    let call = submit(form);
    if (!call) return (form.querySelector("[aria-invalid]") || form.querySelector(".fr-fieldset--error input"))?.focus();
    if (confirm && !(await confirmAction(confirm(form)))) return;
    if (typeof call === "function") call = call();
    setBusy(button, true, "Enregistrement…");
    try {
      await call;
      await render();
      showAlert(page, "L’action est enregistrée ; l’historique du dossier est à jour.", { title: "Action enregistrée", type: "success" });
    } catch (err) {
      setBusy(button, false);
      showError(form, err);
    }
  });
  return form;
}

function required(form, name, msg) {
  const el = form.elements[name];
  if (el.value.trim()) return true;
  markField(el, msg);
  return false;
}

// ------------------------------------------------------------------ the actions
/** Put the case on a session's agenda (`sessions`: the ones review offers for it), or move it there. */
function sessionForm(key, title, sessions, label, { intro, secondary } = {}) {
  const form = actionForm(key, title, [
    sessions.length
      ? field(`${key}-session`, "Séance de la commission", h("select", { class: "fr-select", id: `${key}-session`, name: "session_id" },
          h("option", { value: "" }, "Choisissez une séance"), sessions.map((s) => h("option", { value: s.id }, `Séance du ${fmtDate(s.date)} (${s.agenda_count} dossier${s.agenda_count > 1 ? "s" : ""})`))),
          "Seules les séances à venir qui n’ont pas déjà rendu d’avis sur ce dossier.")
      : h("p", {}, "Aucune autre séance à venir : ", h("a", { href: "/back-office/commission" }, "créez une séance"), " d’abord."),
  ], (f) => {
    if (!f.session_id) return null;
    if (!f.session_id.value) return markField(f.session_id, "Choisissez une séance."), null;
    return api(`/api/review/sessions/${f.session_id.value}/agenda`, { method: "POST", json: { filing_id: id } });
  }, label, { intro });
  if (secondary) form.querySelector("button[type=submit]").classList.add("fr-btn--secondary");
  return form;
}


function piecesOptions(filing) {
  return (filing?.requirements || []).map((r) => [r.doc_type, r.label || itemLabel(r.doc_type)]);
}

function completenessForm(filing, incomplete) {
  return actionForm("completeness", "Contrôle de complétude", [
    radios("complete", "Le dossier est-il complet ?", [["true", "Complet"], ["false", "Incomplet : demander les éléments manquants"]]),
    incomplete,
  ], (f) => {
    const chosen = choice(f, "complete", "Indiquez si le dossier est complet.");
    if (chosen === null) return null;
    const complete = chosen === "true";
    const missing = checked(f, "missing");
    let ok = true;
    if (complete && missing.length) ok = (markField(f.querySelector("#fs-missing"), "Un dossier complet ne liste pas d’élément manquant."), false);
    if (!complete && !missing.length) ok = (markField(f.querySelector("#fs-missing"), "Cochez au moins un élément manquant."), false);
    if (!complete && !required(f, "message", "Le message au déposant est obligatoire.")) ok = false;
    if (!ok) return null;
    return post("completeness", { complete, missing: complete ? [] : missing, message: f.message.value.trim(), ...(f.due_date.value && !complete ? { due_date: f.due_date.value } : {}) });
  }, "Enregistrer le contrôle");
}

const ACTIONS = {
  completeness: (c, filing) => {
    const incomplete = h("div", { class: "cr-hidden", id: "incomplete-fields" },
      checkboxes("missing", "Éléments manquants", [...piecesOptions(filing), ...Object.entries(FILING_FIELDS).filter(([k]) => k !== "title")]),
      field("completeness-message", "Message au déposant", textarea("completeness-message", "message")),
      field("completeness-due", "Date limite de réponse (facultative)", dateInput("completeness-due", "due_date")));
    const form = completenessForm(filing, incomplete);
    form.addEventListener("change", () => incomplete.classList.toggle("cr-hidden", picked(form, "complete") !== "false"));
    return form;
  },

  admissibility: () => actionForm("admissibility", "Contrôle de recevabilité", [
    radios("admissible", "Le dossier est-il recevable ?", [["true", "Recevable"], ["false", "Irrecevable"]]),
    field("admissibility-reasons", "Motifs", textarea("admissibility-reasons", "reasons")),
    field("admissibility-recommendations", "Modifications recommandées au déposant (obligatoires si irrecevable)", textarea("admissibility-recommendations", "recommendations")),
  ], (f) => {
    const chosen = choice(f, "admissible", "Indiquez si le dossier est recevable.");
    if (chosen === null) return null;
    const admissible = chosen === "true";
    if (!admissible && !required(f, "recommendations", "Indiquez les modifications recommandées au déposant.")) return null;
    return post("admissibility", { admissible, reasons: f.reasons.value.trim() || null, recommendations: f.recommendations.value.trim() || null });
  }, "Enregistrer la recevabilité"),

  assign: (c, filing, sessions, allowed, instructors) => {
    if (!instructors) return h("div", { class: "fr-mb-5w", "data-action": "assign" }, h("h3", { class: "fr-h5" }, "Affectation à un instructeur"),
      h("p", {}, "La liste des instructeurs est indisponible : rechargez la page dans un instant."));
    const known = instructors.some((s) => s.account_id === c.assignee_id);
    const options = [
      h("option", { value: "", selected: !c.assignee_id }, "Choisissez un instructeur"),
      ...instructors.map((s) => h("option", { value: s.account_id, selected: s.account_id === c.assignee_id }, staffName(s))),
      c.assignee_id && !known ? h("option", { value: c.assignee_id, selected: true }, `Compte ${c.assignee_id} (instructeur actuel, inactif)`) : null,
    ].filter(Boolean);
    return actionForm("assign", c.assignee_id ? "Changer d’instructeur" : "Affectation à un instructeur", [
      instructors.length
        ? field("instructor_id", "Instructeur", h("select", { class: "fr-select", id: "instructor_id", name: "instructor_id" }, options),
            "Les agents actifs ayant le rôle d’instructeur.")
        : h("p", {}, "Aucun agent actif n’a le rôle d’instructeur : un administrateur doit d’abord ", h("a", { href: "/back-office/agents" }, "créer un compte d’instructeur"), "."),
    ], (f) => {
      if (!f.instructor_id) return null;
      const value = f.instructor_id.value;
      if (!value) return markField(f.instructor_id, "Choisissez l’instructeur à qui affecter le dossier."), null;
      return post("assignment", { instructor_id: value });
    }, "Affecter");
  },

  request: (c, filing) => actionForm("request", "Demander des compléments", [
    checkboxes("items", "Pièces à fournir de nouveau", piecesOptions(filing), "Cochez les pièces à renvoyer ; ajoutez des questions ci-dessous."),
    field("request-questions", "Questions au déposant (une par ligne)", textarea("request-questions", "questions")),
    field("request-message", "Message au déposant", textarea("request-message", "message")),
    field("request-due", "Date limite de réponse", dateInput("request-due", "due_date")),
  ], (f) => {
    const items = [...checked(f, "items").map((doc_type) => ({ doc_type })), ...lines(f.questions.value).map((question) => ({ question }))];
    let ok = true;
    if (!items.length) ok = (markField(f.querySelector("#fs-items"), "Demandez au moins une pièce ou posez une question."), false);
    if (!required(f, "message", "Le message au déposant est obligatoire.")) ok = false;
    if (!f.due_date.value) ok = (markField(f.due_date, "Indiquez la date limite de réponse."), false);
    else if (f.due_date.value <= parisToday()) ok = (markField(f.due_date, "La date limite doit être postérieure à aujourd’hui."), false);
    if (!ok) return null;
    return post("requests", { items, message: f.message.value.trim(), due_date: f.due_date.value });
  }, "Envoyer la demande"),

  ready: () => actionForm("ready", "Fin d’instruction", [], () => post("ready"), "Déclarer le dossier prêt pour la commission",
    { intro: "L’instruction est terminée : le dossier pourra être inscrit à l’ordre du jour d’une séance de la commission." }),

  abandon: (c) => actionForm("abandon", "Déclarer l’abandon", [
    field("abandon-reason", "Motif (facultatif)", textarea("abandon-reason", "reason", 2)),
  ], (f) => () => post("abandon", { reason: f.reason.value.trim() || null }), "Déclarer la demande abandonnée",
    { intro: "Possible une fois dépassée la date limite de la demande de compléments restée sans réponse.", secondary: true,
      confirm: () => ({ title: "Déclarer la demande abandonnée ?", text: "L’instruction s’arrête définitivement ; le déposant en est informé.", confirmLabel: "Déclarer l’abandon" }) }),

  withdraw_admissibility: () => actionForm("withdraw_admissibility", "Retirer la recevabilité", [
    field("withdraw-reason", "Motif du retrait", textarea("withdraw-reason", "reason", 2), "Par exemple : données falsifiées."),
  ], (f) => (required(f, "reason", "Le motif du retrait est obligatoire.") ? () => post("withdraw-admissibility", { reason: f.reason.value.trim() }) : null), "Retirer la recevabilité",
  { secondary: true, confirm: () => ({ title: "Retirer la recevabilité ?", text: "Le dossier est définitivement clos ; le déposant en est informé avec le motif.", confirmLabel: "Retirer la recevabilité" }) }),

  suspend: (c, filing) => actionForm("suspend", "Suspendre la demande (informations erronées ou incomplètes)", [
    checkboxes("suspend_missing", "Éléments à corriger", piecesOptions(filing), "Les pièces que le déposant devra transmettre de nouveau."),
    field("suspend-message", "Ce qui est erroné ou incomplet, et ce qu’il faut transmettre", textarea("suspend-message", "message")),
  ], (f) => {
    const missing = checked(f, "suspend_missing");
    let ok = true;
    if (!missing.length) ok = (markField(f.querySelector("#fs-suspend_missing"), "Cochez au moins un élément à corriger."), false);
    if (!required(f, "message", "Indiquez au déposant ce qui est erroné ou incomplet.")) ok = false;
    if (!ok) return null;
    return () => post("suspend", { missing, message: f.message.value.trim() });
  }, "Suspendre la demande", {
    intro: "Article 5 de l’arrêté du 4 janvier 2019 : l’examen reprend là où il en était dès que le déposant transmet les éléments demandés.", secondary: true,
    confirm: () => ({ title: "Suspendre la demande ?", text: "Le déposant est informé du motif et des éléments à transmettre.", confirmLabel: "Suspendre" }),
  }),

  declare_inadmissible: () => actionForm("declare_inadmissible", "Déclarer la demande irrecevable de plein droit (fausse déclaration)", [
    field("inadmissible-reason", "Fausse déclaration constatée", textarea("inadmissible-reason", "reason", 2)),
  ], (f) => (required(f, "reason", "Indiquez la fausse déclaration constatée.") ? () => post("declare-inadmissible", { reason: f.reason.value.trim() }) : null),
  "Déclarer irrecevable de plein droit", {
    intro: "Article 5 de l’arrêté du 4 janvier 2019 : la décision est définitive, la demande ne peut pas être soumise de nouveau.", secondary: true,
    confirm: () => ({ title: "Déclarer la demande irrecevable de plein droit ?", text: "La demande est définitivement close ; le déposant en est informé avec le fondement juridique.", confirmLabel: "Déclarer irrecevable" }),
  }),

  schedule: (c, filing, sessions) => sessionForm("schedule", "Inscription à l’ordre du jour", sessions, "Inscrire à l’ordre du jour"),

  reschedule: (c, filing, sessions) => sessionForm("reschedule", "Déplacer vers une autre séance", sessions, "Déplacer le dossier",
    { intro: `Le dossier est inscrit à la séance du ${fmtDate(c.session?.date)}. Il en sera retiré.`, secondary: true }),

  correct_opinion: (c) => {
    if (!c.opinion) return null;
    const box = h("div", { class: "fr-mb-5w", "data-action": "correct_opinion" }, h("h3", { class: "fr-h5" }, `Corriger l’avis de la séance du ${fmtDate(c.opinion.session_date)}`),
      h("p", {}, "Avant la décision, la commission peut corriger son avis ; l’avis précédent et le motif de la correction restent à l’historique."));
    box.append(opinionForm(c, c.opinion.session_id, c.criteria || {}, async () => {
      await render();
      showAlert(page, "L’avis de la commission est corrigé ; l’historique du dossier est à jour.", { title: "Avis corrigé", type: "success" });
    }, { correction: true }));
    return box;
  },

  publish: (c) => actionForm("publish", "Publication au Journal officiel", [
    field("jo-date", "Date du Journal officiel", h("input", { class: "fr-input", type: "date", id: "jo-date", name: "jo_date", max: parisToday() })),
    field("jo-reference", "Référence de publication (NOR ou texte)", h("input", { class: "fr-input", id: "jo-reference", name: "jo_reference", maxlength: 120 }),
      "Par exemple : JORF n°0280 du 1er décembre 2026, texte n° 42."),
    field("effective-date", "Date d’effet de l’enregistrement", h("input", { class: "fr-input", type: "date", id: "effective-date", name: "effective_date" }), "La fiche publique est active à partir de cette date."),
  ], (f) => {
    let ok = true;
    if (!f.jo_date.value) ok = (markField(f.jo_date, "Indiquez la date du Journal officiel."), false);
    else if (f.jo_date.value > parisToday()) ok = (markField(f.jo_date, "La date de publication ne peut pas être à venir."), false);
    if (!required(f, "jo_reference", "Indiquez la référence de publication.")) ok = false;
    if (!f.effective_date.value) ok = (markField(f.effective_date, "Indiquez la date d’effet."), false);
    else if (f.jo_date.value && f.effective_date.value < f.jo_date.value) ok = (markField(f.effective_date, "La date d’effet ne peut pas précéder la publication."), false);
    if (!ok) return null;
    return () => post("publication", { jo_date: f.jo_date.value, jo_reference: f.jo_reference.value.trim(), effective_date: f.effective_date.value });
  }, "Enregistrer la publication", {
    intro: `Enregistrement décidé le ${fmtDate(c.decision?.decision_date)} sous le numéro ${c.registration_number || ""} : il prend effet à la publication de la décision au Journal officiel.`,
    confirm: () => ({ title: "Enregistrer la publication au Journal officiel ?", text: "La certification est enregistrée à la date d’effet ; le déposant reçoit la lettre d’enregistrement.", confirmLabel: "Enregistrer la publication" }),
  }),

  decision: (c, filing, sessions, allowed) => {
    const options = [];
    if (allowed.includes("register")) options.push(["true", "Enregistrer la certification"]);
    if (allowed.includes("refuse")) options.push(["false", "Refuser l’enregistrement"]);
    const form = actionForm("decision", "Décision du directeur général", [
      radios("register", "Décision", options),
      field("motivation", "Motivation de la décision", textarea("motivation", "motivation", 4)),
      field("years", "Durée d’enregistrement (en années, 5 au plus)", h("input", { class: "fr-input", type: "number", id: "years", name: "years", min: 1, max: 5, value: 5 }), "Seulement pour un enregistrement."),
    ], (f) => {
      const chosen = choice(f, "register", "Choisissez la décision.");
      const register = chosen === "true";
      let ok = required(f, "motivation", "La décision doit être motivée.") && chosen !== null;
      const years = Number(f.years.value);
      if (register && !(years >= 1 && years <= 5)) ok = (markField(f.years, "La durée d’enregistrement va de 1 à 5 ans."), false);
      if (!ok) return null;
      return () => post("decision", { register, motivation: f.motivation.value.trim(), ...(register ? { years } : {}) });
    }, "Signer la décision", {
      intro: byRight(c) ? "Enregistrement de droit : le dossier est complet ; la certification est enregistrée sans avis de la commission."
        : c.opinion ? `Avis de la commission (séance du ${fmtDate(c.opinion.session_date)}) : ${OPINIONS[c.opinion.opinion] || c.opinion.opinion}.` : null,
      confirm: (f) => ({
        title: picked(f, "register") === "true" ? "Signer l’enregistrement de la certification ?" : "Signer le refus d’enregistrement ?",
        text: "La décision signée est notifiée au déposant ; elle ne peut plus être modifiée.",
        confirmLabel: "Signer la décision",
      }),
    });
    return form;
  },
};

function opinionAction(c, all) {
  if (!c.session) return null;
  const box = h("div", { class: "fr-mb-5w", "data-action": "opinion" }, h("h3", { class: "fr-h5" }, `Avis de la commission — séance du ${fmtDate(c.session.date)}`));
  box.append(opinionForm(c, c.session.id, c.criteria || {}, async () => {
    await render();
    showAlert(page, "L’avis de la commission est enregistré.", { title: "Avis enregistré", type: "success" });
  }));
  return box;
}

function actionsOf(c, filing, sessions, instructors) {
  const allowed = c.allowed_actions || [];
  const forms = [];
  for (const a of allowed) {
    if (a === "register" || a === "refuse") continue;
    if (a === "opinion") forms.push(opinionAction(c));
    else if (a === "abandon" && !(c.open_requests || []).some((r) => r.overdue || r.due_date < parisToday())) continue; // only past the deadline
    else if (ACTIONS[a]) forms.push(ACTIONS[a](c, filing, sessions, allowed, instructors));
  }
  if (allowed.includes("register") || allowed.includes("refuse")) forms.unshift(ACTIONS.decision(c, filing, sessions, allowed));
  // What ends the case without a decision comes after what moves it on.
  const last = (f) => ["withdraw_admissibility", "abandon", "suspend", "declare_inadmissible"].includes(f?.dataset?.action);
  const shown = [...forms.filter((f) => f && !last(f)), ...forms.filter(last)];
  return shown.length ? shown : [h("p", {}, "Aucune action de vos rôles n’est possible dans l’état actuel du dossier.")];
}

// ------------------------------------------------------------------ the rest of the page
async function piecesTable(names) {
  let items;
  try {
    items = itemsOf(await api(`/api/filings/${id}/documents`));
  } catch {
    return h("p", {}, "Pièces indisponibles.");
  }
  if (!items.length) return h("p", {}, "Aucune pièce.");
  const rows = items.map((p) => {
    const d = p.current;
    const older = (p.versions || []).filter((v) => !v.current).length;
    return h("tr", {},
      h("td", {}, p.label || itemLabel(p.doc_type)),
      h("td", {}, d ? h("button", { class: "fr-btn fr-btn--tertiary-no-outline fr-btn--sm fr-icon-download-line fr-btn--icon-left", type: "button", onclick: (e) => download(`/api/filings/${id}/documents/${d.document_id}/content`, d.filename).catch((err) => showError(e.target.closest("td"), err)) }, d.filename) : "Retirée"),
      h("td", {}, d ? `v${d.version}, ${fmtSize(d.size)}` : "—", older ? ` (${older} version${older > 1 ? "s" : ""} antérieure${older > 1 ? "s" : ""})` : ""),
      h("td", {}, d?.document_date ? fmtDate(d.document_date) : "—"),
      h("td", {}, d ? fmtDateTime(d.uploaded_at) : "—"));
  });
  const histories = items.filter((p) => (p.versions || []).length).map((p) => h("div", { class: "fr-mb-2w" },
    h("h3", { class: "fr-h6 fr-mb-0" }, p.label || itemLabel(p.doc_type)), pieceHistory(id, p, names, p.label || itemLabel(p.doc_type))));
  return h("div", {},
    h("div", { class: "fr-table fr-table--no-caption cr-scroll" }, h("table", {}, h("caption", {}, "Pièces du dossier"),
      h("thead", {}, h("tr", {}, ["Pièce", "Fichier en vigueur", "Version", "Date du document", "Déposée le"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows))),
    h("h2", { class: "fr-h5 fr-mt-4w", id: "h-versions" }, "Versions de chaque pièce"), ...histories);
}

// A renewal (issue 14): the registration it renews, the recommendations made when that one
// was examined and, beside them, how the certifier says it followed them; what changed.
const RECOMMENDATION_SOURCES = { admissibility: "Recevabilité", opinion: "Avis de la commission", decision: "Décision du directeur général" };
const COHORT = { certified: " certifiés", certified_by_vae: " par la VAE", employed_6_months_rate: " % en emploi à 6 mois", employed_in_job_2_years_rate: " % dans le métier à 2 ans" };

// One item of a fiche's list, in words (certifiers, access routes, equivalences, cohorts).
function itemText(field, x) {
  if (typeof x !== "object" || x === null) return String(x);
  if (field === "certifiers") return `${x.name} — SIRET ${x.siret}${x.filer ? " (déposant)" : ""}`;
  if (field === "access_routes") return `${ROUTE_LABELS[x.route] || x.route} — jury : ${x.jury}`;
  if (field === "equivalences") return [x.number, x.label].filter(Boolean).join(" — ");
  if (field === "statistics") return `${x.year} : ${Object.entries(COHORT).filter(([k]) => x[k] != null).map(([k, unit]) => `${x[k]}${unit}`).join(", ") || "—"}`;
  return Object.values(x).filter((v) => v !== null && v !== "").join(" — ");
}

// One side of a change: a block (its title, competences, assessment methods); a list, the
// items the other side lacks marked (struck out before, underlined after); or a value.
function changeSide(c, side) {
  const value = c[side];
  if (value == null || value === "" || (Array.isArray(value) && !value.length)) {
    if (c.change === "added" && side === "before") return "Absent de la fiche enregistrée";
    if (c.change === "removed" && side === "after") return "Supprimé";
    return "—";
  }
  if (c.field === "competence_blocks") {
    return h("div", {},
      h("p", { class: "fr-mb-1v" }, h("strong", {}, `${c.code} — ${value.title || ""}`)),
      h("p", { class: "fr-mb-1v" }, "Compétences : ", (value.competences || []).join(" ; ") || "—"),
      h("p", { class: "fr-mb-0", "data-part": "assessment_methods" }, "Modalités d’évaluation : ", (value.assessment_methods || []).join(" ; ") || "—"));
  }
  if (Array.isArray(value)) {
    const marked = ((side === "before" ? c.removed : c.added) || []).map((x) => JSON.stringify(x));
    return h("ul", { class: "fr-mb-0" }, value.map((x) => {
      const t = itemText(c.field, x);
      if (!marked.includes(JSON.stringify(x))) return h("li", {}, t);
      return side === "before"
        ? h("li", { "data-removed": "" }, h("del", {}, h("span", { class: "fr-sr-only" }, "Retiré : "), t))
        : h("li", { "data-added": "" }, h("ins", {}, h("span", { class: "fr-sr-only" }, "Ajouté : "), t));
    }));
  }
  return h("span", { class: "cr-pre" }, String(value));
}

// The renewal's differences from the registered fiche, field by field and block by block.
function renewalChanges(changes) {
  if (!changes.length) return h("p", { id: "renewal-changes" }, "Aucune modification : la demande reprend la fiche enregistrée.");
  const kind = (c) => CHANGE_KINDS[c.change] || CHANGE_KINDS.changed;
  return h("div", { class: "fr-table fr-table--no-caption cr-scroll" }, h("table", { id: "renewal-changes" },
    h("caption", {}, "Modifications par rapport à la fiche enregistrée"),
    h("thead", {}, h("tr", {}, ["Rubrique", "Modification", "Fiche enregistrée", "Demande de renouvellement"].map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, changes.map((c) => h("tr", { "data-field": c.field, "data-code": c.code || "", "data-change": c.change },
      h("th", { scope: "row" }, c.code ? `${c.label} (${c.code})` : c.label),
      h("td", {}, h("span", { class: `fr-badge fr-badge--sm fr-badge--${kind(c)[1]} fr-badge--no-icon` }, kind(c)[0])),
      h("td", { "data-side": "before" }, changeSide(c, "before")),
      h("td", { "data-side": "after" }, changeSide(c, "after")))))));
}

function renewalPanel(r) {
  const recommendations = r.recommendations || [];
  return h("div", { id: "renewal" },
    h("p", {}, "Cette demande renouvelle l’enregistrement ", h("a", { href: `/registre/${encodeURIComponent(r.renews)}` }, r.renews), "."),
    h("div", { class: "fr-grid-row fr-grid-row--gutters" },
      h("div", { class: "fr-col-12 fr-col-md-6" },
        h("h3", { class: "fr-h6", id: "h-recommendations" }, "Recommandations faites lors de l’enregistrement précédent"),
        recommendations.length
          ? h("ul", { id: "recommendations" }, recommendations.map((x) => h("li", { "data-source": x.source },
            h("strong", {}, RECOMMENDATION_SOURCES[x.source] || x.source), x.at ? ` (${fmtDate(x.at)})` : "", x.label ? ` — ${x.label}` : "", " : ",
            h("span", { class: "cr-pre" }, x.text))))
          : h("p", { id: "recommendations" }, "Aucune recommandation n’a été faite.")),
      h("div", { class: "fr-col-12 fr-col-md-6" },
        h("h3", { class: "fr-h6", id: "h-follow-up" }, "Suivi des recommandations par le certificateur"),
        r.recommendations_follow_up
          ? h("p", { id: "follow-up", class: "cr-pre" }, r.recommendations_follow_up)
          : h("p", { id: "follow-up" }, "Le certificateur n’a rien indiqué."))),
    h("h3", { class: "fr-h6", id: "h-renewal-changes" }, "Modifications par rapport à la fiche enregistrée"),
    renewalChanges(r.changes || []));
}

function description(filing) {
  if (!filing) return h("p", {}, "Description indisponible.");
  const list = (items) => (items?.length ? h("ul", {}, items.map((i) => h("li", {}, i))) : h("p", {}, "—"));
  return h("div", {},
    filing.summary ? h("p", { class: "cr-pre" }, filing.summary) : null,
    h("h3", { class: "fr-h6" }, "Activités visées"), list(filing.activities),
    h("h3", { class: "fr-h6" }, "Compétences attestées"), list(filing.competences),
    filing.repertoire === "rncp" ? [h("h3", { class: "fr-h6" }, "Blocs de compétences"), list((filing.competence_blocks || []).map((b) => `${b.code} — ${b.title}`))] : null,
    h("h3", { class: "fr-h6" }, "Modalités d’évaluation"), list(filing.assessment_methods));
}

function assigneeName(accountId, instructors) {
  const found = (instructors || []).find((s) => s.account_id === accountId);
  return found ? `${found.first_name} ${found.last_name}` : accountId;
}

/** Whom to write to: the member who submitted, and the entity's managers. */
function contact(c, entity) {
  const members = entity?.members || [];
  const by = members.find((m) => m.account_id === c.submitted_by);
  const managers = members.filter((m) => m.role === "entity_manager" && m.account_id !== c.submitted_by);
  const person = (m) => h("span", {}, `${m.first_name} ${m.last_name} — `, h("a", { href: `mailto:${m.email}` }, m.email));
  if (!by && !managers.length) return null;
  return h("span", { id: "contact" },
    by ? [h("span", {}, "Déposé par "), person(by)] : null,
    managers.length ? [by ? h("br") : null, h("span", {}, managers.length > 1 ? "Gestionnaires : " : "Gestionnaire : "),
      ...managers.flatMap((m, i) => [i ? ", " : "", person(m)])] : null);
}

function facts(c, entity, instructors) {
  const you = c.assignee_id && c.assignee_id === user.id;
  const row = (label, value) => (value ? [h("dt", { class: "fr-text--bold" }, label), h("dd", { class: "fr-ml-0 fr-mb-1w" }, value)] : []);
  return h("dl", { class: "fr-mb-3w", id: "facts" },
    ...row("N° de dossier", c.reference),
    ...row("Organisme", entity ? `${entity.denomination || "—"}${entity.siret ? ` — SIRET ${entity.siret}` : ""}` : null),
    ...row("Contact du déposant", contact(c, entity)),
    ...row("Type d’enregistrement", byRight(c) ? `Enregistrement de droit — ${BASIS_LABELS[c.by_right_basis] || ""}, sans avis de la commission` : "Enregistrement sur demande"),
    ...row("Répertoire", `${REPERTOIRES[c.repertoire] || c.repertoire}${c.qualification_level ? ` — niveau ${c.qualification_level}` : ""}${c.is_cqp ? " — CQP" : ""}`),
    ...row("Dépôt", `n°${c.submission_round}, dossier ouvert le ${fmtDate(c.opened_at)}`),
    ...row("Instructeur", c.assignee_id ? (you ? "vous" : assigneeName(c.assignee_id, instructors)) : "non affecté"),
    ...row("Échéance", c.due_date ? h("span", { class: "cr-due", title: c.due_explanation || null }, `${fmtDate(c.due_date)} (${c.overdue ? "dépassée" : daysLeft(c.due_date)})`) : null),
    ...row("Séance", c.session ? `Séance du ${fmtDate(c.session.date)}` : null),
    ...row("Éléments manquants", c.missing?.length ? c.missing.map(itemLabel).join(", ") : null),
    ...row("Numéro d’enregistrement", c.registration_number));
}

const byline = (n) => `${n.author_name || ACTOR_ROLES[n.author_role] || n.author_role} — ${fmtDateTime(n.created_at)}`;

/** A small form with one text field, kept as a draft until sent; `send(form)` makes the call.
 * `extra` fields come before the text, `after` fields (a file) after it. */
function noteForm(fid, label, hint, button, send, { rows = 4, extra = [], after = [] } = {}) {
  const form = h("form", { novalidate: true, class: "fr-mt-3w", id: `${fid}-form`, "data-autosave": `dossier:${id}:${fid}` },
    ...extra,
    field(fid, label, h("textarea", { class: "fr-input", id: fid, name: fid, rows, maxlength: 20000 }), hint),
    ...after,
    h("button", { class: "fr-btn fr-btn--secondary", type: "submit" }, button));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    for (const el of form.querySelectorAll("input.fr-input, textarea")) if (!el.value.trim()) return markField(el, "Ce champ est obligatoire."), el.focus();
    const b = form.querySelector("button[type=submit]");
    setBusy(b, true, "Enregistrement…");
    try {
      await send(form);
      clearDrafts(form);
      await render(form.closest(".fr-tabs__panel")?.id?.replace("panel-", ""));
    } catch (err) {
      setBusy(b, false);
      // A refused file (413, 415, a quota) is said next to its field.
      const named = err?.status !== 422 && err?.body?.field ? form.querySelector(`[name="${CSS.escape(err.body.field)}"]`) : null;
      if (named) {
        clearErrors(form);
        markField(named, messageOf(err));
        named.focus();
      } else showError(form, err);
    }
  });
  return form;
}

/** The expert's answer: JSON, or multipart with the expert's report when a file is chosen. */
function sendExternalAnswer(o, form) {
  const url = `/api/review/cases/${id}/external-opinions/${o.id}/answer`;
  const answer = form[`external-answer-${o.id}`].value.trim();
  const file = form.file.files[0];
  if (!file) return api(url, { method: "POST", json: { answer } });
  const body = new FormData();
  body.append("answer", answer);
  body.append("file", file, file.name);
  return api(url, { method: "POST", body });
}

/** The expert's report, downloadable (case staff only: the API refuses anyone else). */
function externalDocument(o) {
  const d = o.document;
  return h("p", { class: "fr-mb-0", "data-external-document": "" },
    h("button", { class: "fr-btn fr-btn--tertiary-no-outline fr-btn--sm fr-icon-download-line fr-btn--icon-left", type: "button",
      onclick: (e) => download(d.download_url, d.filename).catch((err) => showError(e.target.closest("[data-external]"), err)) },
    "Télécharger le rapport de l’expert", h("span", { class: "fr-sr-only" }, ` ${d.filename}`)),
    h("span", { class: "fr-text--sm" }, ` ${d.filename}, ${fmtSize(d.size)}`));
}

async function annotationsPanel() {
  const notes = itemsOf(await api(`/api/review/cases/${id}/annotations`).catch(() => ({ items: [] })));
  return h("div", { id: "annotations" },
    h("h2", { id: "h-annotations" }, "Annotations privées"),
    h("div", { class: "fr-notice fr-notice--info fr-mb-3w" }, h("div", { class: "fr-container" }, h("div", { class: "fr-notice__body" },
      h("p", { class: "fr-notice__title" }, "Visibles des seuls agents de France compétences : jamais du déposant.")))),
    notes.length ? h("ul", { class: "cr-thread", id: "annotation-list" }, notes.map((n) => h("li", { "data-note": n.id },
      h("p", { class: "fr-text--sm fr-mb-1w" }, h("strong", {}, byline(n))), h("p", { class: "fr-mb-0 cr-pre" }, n.body))))
      : h("p", {}, "Aucune annotation pour l’instant."),
    noteForm("annotation", "Nouvelle annotation", "Réservée aux agents.", "Ajouter l’annotation",
      (f) => api(`/api/review/cases/${id}/annotations`, { method: "POST", json: { body: f.annotation.value.trim() } })));
}

async function opinionsPanel(c) {
  const roles = user.roles || [];
  const [report, externals, all] = await Promise.all([
    api(`/api/review/cases/${id}/report`).catch(() => ({ current: null, versions: [] })),
    api(`/api/review/cases/${id}/external-opinions`).then(itemsOf).catch(() => []),
    criteria(),
  ]);
  const box = h("div", { id: "avis" });
  box.append(h("h2", { id: "h-rapport" }, "Rapport d’instruction"));
  if (report.current) {
    box.append(h("div", { class: "fr-callout fr-mb-2w", id: "report" },
      h("p", { class: "fr-callout__text cr-pre" }, report.current.body),
      h("p", { class: "fr-text--sm fr-mb-0" }, `Version ${report.versions.length}, ${byline(report.current)}.`)));
  } else box.append(h("p", { id: "report" }, "Pas encore de rapport d’instruction."));
  if (roles.includes("instructor")) {
    const form = noteForm("report-body", report.current ? "Nouvelle version du rapport" : "Rédiger le rapport", "La commission et le directeur le lisent avec le dossier ; les versions précédentes sont conservées.",
      "Enregistrer le rapport", (f) => api(`/api/review/cases/${id}/report`, { method: "PUT", json: { body: f["report-body"].value.trim() } }), { rows: 8 });
    if (report.current && !form["report-body"].value) form["report-body"].value = report.current.body;
    box.append(form);
  }
  box.append(h("h2", { class: "fr-mt-5w", id: "h-externes" }, "Avis extérieurs (rapporteur, expert)"));
  if (!externals.length) box.append(h("p", {}, "Aucun avis extérieur demandé."));
  for (const o of externals) {
    const item = h("div", { class: "fr-callout fr-mb-2w", "data-external": o.id },
      h("h3", { class: "fr-callout__title fr-h6" }, o.expert),
      h("p", { class: "fr-text--sm" }, `Demandé le ${fmtDateTime(o.asked_at)} par ${o.asked_by_name || "un agent"}.`),
      h("p", { class: "cr-pre" }, h("strong", {}, "Question : "), o.question),
      o.answer ? h("p", { class: "cr-pre" }, h("strong", {}, `Avis reçu le ${fmtDateTime(o.answered_at)} : `), o.answer) : h("p", { class: "fr-badge fr-badge--sm fr-badge--warning" }, "En attente"),
      o.document ? externalDocument(o) : null);
    if (!o.answer && (roles.includes("instructor") || roles.includes("director"))) {
      const fileId = `external-file-${o.id}`;
      item.append(noteForm(`external-answer-${o.id}`, `Avis de ${o.expert}`, "Recopiez ou résumez l’avis reçu ; il est conservé au dossier.", "Enregistrer l’avis reçu",
        (f) => sendExternalAnswer(o, f),
        { after: [h("div", { class: "fr-upload-group fr-mb-3w" },
          h("label", { class: "fr-label", for: fileId }, "Rapport de l’expert (facultatif)", h("span", { class: "fr-hint-text" }, "PDF, PNG, JPEG, ODT ou DOCX ; réservé aux agents, jamais montré au déposant.")),
          h("input", { class: "fr-upload", type: "file", id: fileId, name: "file", accept: ".pdf,.png,.jpg,.jpeg,.odt,.docx" }))] }));
    }
    box.append(item);
  }
  if (roles.includes("instructor") || roles.includes("director")) {
    box.append(h("h3", { class: "fr-h6 fr-mt-3w" }, "Demander un avis extérieur"), noteForm("external-question", "Question posée", null, "Enregistrer la demande d’avis",
      (f) => api(`/api/review/cases/${id}/external-opinions`, { method: "POST", json: { expert: f.expert.value.trim(), question: f["external-question"].value.trim() } }),
      { extra: [field("external-expert", "Rapporteur ou expert (nom, qualité)", h("input", { class: "fr-input", id: "external-expert", name: "expert", maxlength: 300 }))] }));
  }
  box.append(h("h2", { class: "fr-mt-5w", id: "h-commission" }, "Avis de la commission"),
    c.opinion ? Object.assign(opinionBox(c.opinion, c.repertoire, all), { id: "opinion-avis" }) : h("p", {}, "La commission n’a pas encore rendu d’avis."));
  return box;
}

async function render(focusTab) {
  let c;
  try {
    c = await api(`/api/review/cases/${id}`);
  } catch (err) {
    page.replaceChildren(h("h1", {}, "Dossier"));
    return showError(page, err);
  }
  const [filing, entity, sessions, instructors] = await Promise.all([
    api(`/api/filings/${id}`).catch(() => null),
    api(`/api/entities/entities/${c.entity_id}`).catch(() => null),
    ["schedule", "reschedule"].some((a) => (c.allowed_actions || []).includes(a))
      ? api(`/api/review/sessions?upcoming=true&limit=50&for_filing=${id}`).then((d) => itemsOf(d)).catch(() => []) : [],
    (c.allowed_actions || []).includes("assign") ? activeInstructors() : [],
  ]);
  const names = new Map((entity?.members || []).map((m) => [m.account_id, `${m.first_name} ${m.last_name}`]));
  setTitle(c.title || "Dossier");
  document.getElementById("crumb").textContent = c.title || "Dossier";
  const section = (t, sid, ...kids) => h("section", { class: "fr-mt-6w", "aria-labelledby": sid }, h("h2", { id: sid }, t), ...kids);
  const panel = (t, sid, ...kids) => h("section", { "aria-labelledby": sid }, h("h2", { id: sid }, t), ...kids);
  const [pieces, thread, annotations, opinions, overview] = await Promise.all([
    piecesTable(names), dialogue(id, true), annotationsPanel(), opinionsPanel(c), caseOverview(c, { staff: true, decision: false }),
  ]);
  // The decision, once signed, is the first thing to see (its number, the JO publication).
  const decided = c.decision ? decisionBox(c.decision, c.repertoire, await criteria()) : null;
  page.replaceChildren(
    h("h1", {}, c.title || "Dossier"),
    h("div", { class: "fr-mb-2w" }, Object.assign(statusBadge(c.status, h, c.status_label), { id: "status" }), c.overdue ? h("p", { class: "fr-badge fr-badge--sm fr-badge--warning fr-ml-1w" }, "Échéance dépassée") : null,
      byRight(c) ? h("p", { class: "fr-badge fr-badge--sm fr-badge--blue-ecume fr-ml-1w", id: "by-right" }, "Enregistrement de droit") : null),
    stepper(c.status, { timeline: c.timeline, label: c.status_label, byRight: byRight(c) }),
    facts(c, entity, instructors),
    ...(decided ? [decided] : []),
    section("Actions possibles", "h-actions", ...actionsOf(c, filing, sessions, instructors)),
    tabs("Sections du dossier", [
      { id: "demande", label: "Demande", content: h("div", {},
        c.renewal ? panel(`Renouvellement de ${c.renewal.renews}`, "h-renewal", renewalPanel(c.renewal)) : null,
        panel("Description de la certification", "h-description", description(filing)),
        filing ? panel("Fiche publique (aperçu)", "h-fiche", fichePreview(filing)) : null,
        filing && filing.submission_round > 1 ? panel("Modifications depuis le dépôt précédent", "h-changes", await ficheChanges(id)) : null) },
      { id: "pieces", label: "Pièces", content: panel("Pièces", "h-pieces", pieces) },
      { id: "messagerie", label: "Messagerie", content: panel("Échanges avec le déposant", "h-echanges", thread) },
      { id: "annotations", label: "Annotations privées", content: annotations },
      { id: "avis", label: "Avis", content: opinions },
      { id: "historique", label: "Historique", content: panel("Suivi", "h-suivi", overview) },
    ]),
  );
  const target = focusTab || location.hash.slice(1);
  if (target) reveal(target, { scroll: false });
}
render();
// Opening the dossier reads its notifications (the bell's count follows).
api(`/api/notifier/notifications/read-all?filing_id=${id}`, { method: "POST" }).then(() => refreshBell()).catch(() => {});
