// A filing seen by its depositor: the banner of the open request and the answer to it
// (each piece asked for "À remplacer" with its upload, one answer per question, one
// "Envoyer ma réponse"), the procedure's stepper and a summary, then DSFR tabs — Dossier
// (description), Pièces (checklist, uploads, versions), Échanges, Courriers, Historique.
// Typed text is kept as a draft on the device (autosave.js) and survives uploads and reloads.
import { actionDone, api, ApiError, clearErrors, daysLeft, download, fmtDate, fmtDateTime, fmtSize, h, intentKey, itemsOf, markField, messageOf, pathId, requireLogin, setBusy, setTitle, showAlert, showError, parisToday, upload } from "/static/js/api.js";
import { refreshBell } from "/static/js/layout.js";
import { REPERTOIRES, itemLabel } from "/static/js/labels.js";
import { caseOverview, criteria, criterionLabel, decisionBox, loadCase } from "/static/js/case.js";
import { confirmAction } from "/static/js/confirm.js";
import { clearDrafts } from "/static/js/autosave.js";
import { reveal, tabs } from "/static/js/tabs.js";
import { stepper, summary } from "/static/js/procedure.js";
import { dialogue } from "/static/js/thread.js";
import { memberNames, pieceHistory, piecesByType } from "/static/js/pieces.js";
import { ficheChanges, ficheForm, fichePreview } from "/static/js/fiche-form.js";
import { registrationSections, renewalNote } from "/static/js/registration.js";

requireLogin();
const id = pathId();
const page = document.getElementById("page");

const FIELDS = [
  ["summary", "Résumé", false],
  ["activities", "Activités visées (une par ligne)", true],
  ["competences", "Compétences attestées (une par ligne)", true],
  ["assessment_methods", "Modalités d’évaluation (une par ligne)", true],
];
// A renewal says how it followed the recommendations made at the registration it renews.
const FOLLOW_UP = ["recommendations_follow_up", "Suivi des recommandations de l’enregistrement précédent (comment vous les avez prises en compte)", false];
const fieldsOf = (filing) => (filing.renews ? [...FIELDS, FOLLOW_UP] : FIELDS);

function section(title, ...children) {
  const slug = title.toLowerCase().normalize("NFD").replace(/[^a-z]+/g, "-");
  return h("section", { class: "fr-mt-6w", "aria-labelledby": `h-${slug}` }, h("h2", { id: `h-${slug}` }, title), ...children);
}

const LEVELS = ["Niveau 1", "Niveau 2", "Niveau 3 (CAP)", "Niveau 4 (baccalauréat)", "Niveau 5 (bac + 2)", "Niveau 6 (licence, bac + 3)", "Niveau 7 (master, bac + 5)", "Niveau 8 (doctorat)"];
const IDENTITY = ["title", "qualification_level", "is_cqp", "cqp_filed_by", "rests_on_standards"];

/** The certification's title, level, CQP and standards flag: correctable while editable. */
function identityFields(filing, form, editable) {
  const rncp = filing.repertoire === "rncp";
  const checkbox = (name, label) => h("div", { class: "fr-checkbox-group fr-mb-3w" },
    h("input", { type: "checkbox", id: `f-${name}`, name, checked: !!filing[name], disabled: !editable(name) }), h("label", { class: "fr-label", for: `f-${name}` }, label));
  const filedBy = h("fieldset", { class: `fr-fieldset${filing.is_cqp ? "" : " cr-hidden"}`, id: "f-cqp_filed_by", "data-field": "cqp_filed_by", "aria-labelledby": "f-cqp-legend" },
    h("legend", { class: "fr-fieldset__legend", id: "f-cqp-legend" }, "Le CQP est déposé par"),
    [["cpne", "La CPNE de la branche professionnelle"], ["mandated", "Un organisme désigné ou mandaté par la CPNE"]].map(([value, text]) => h("div", { class: "fr-fieldset__element" }, h("div", { class: "fr-radio-group" },
      h("input", { type: "radio", id: `f-cqp-${value}`, name: "cqp_filed_by", value, checked: filing.cqp_filed_by === value, disabled: !editable("cqp_filed_by") }), h("label", { class: "fr-label", for: `f-cqp-${value}` }, text)))));
  form.append(
    h("div", { class: "fr-input-group" }, h("label", { class: "fr-label", for: "f-title" }, "Intitulé de la certification"),
      h("input", { class: "fr-input", type: "text", id: "f-title", name: "title", maxlength: 300, value: filing.title || "", disabled: !editable("title") })),
    rncp ? h("div", { class: "fr-select-group" }, h("label", { class: "fr-label", for: "f-qualification_level" }, "Niveau de qualification (cadre national, décret n° 2019-14)"),
      h("select", { class: "fr-select", id: "f-qualification_level", name: "qualification_level", disabled: !editable("qualification_level") },
        h("option", { value: "" }, "Sélectionnez un niveau"), LEVELS.map((text, i) => h("option", { value: String(i + 1), selected: filing.qualification_level === i + 1 }, text)))) : null,
    checkbox("is_cqp", "Il s’agit d’un certificat de qualification professionnelle (CQP)"),
    filedBy,
    rncp ? null : checkbox("rests_on_standards", "La certification repose sur des normes réglementaires ou de marché"));
  form.elements.is_cqp.addEventListener("change", () => filedBy.classList.toggle("cr-hidden", !form.elements.is_cqp.checked));
}

/** What the identity fields say now (only the editable ones); null after marking an error. */
function identityBody(filing, form, editable) {
  const body = {};
  const f = form.elements;
  if (editable("title")) {
    if (!f.title.value.trim()) return markField(f.title, "Saisissez l’intitulé de la certification."), null;
    body.title = f.title.value.trim();
  }
  if (f.qualification_level && editable("qualification_level")) {
    if (!f.qualification_level.value) return markField(f.qualification_level, "Une demande au RNCP indique un niveau de qualification (1 à 8)."), null;
    body.qualification_level = Number(f.qualification_level.value);
  }
  if (editable("is_cqp")) body.is_cqp = f.is_cqp.checked;
  if (editable("cqp_filed_by")) {
    const by = form.querySelector("input[name=cqp_filed_by]:checked")?.value || null;
    if (f.is_cqp.checked && !by) return markField(form.querySelector("#f-cqp_filed_by"), "Indiquez qui dépose le CQP."), null;
    body.cqp_filed_by = f.is_cqp.checked ? by : null;
  }
  if (f.rests_on_standards && editable("rests_on_standards")) body.rests_on_standards = f.rests_on_standards.checked;
  return body;
}

function describe(filing) {
  const editable = (name) => filing.editable_items?.includes(name);
  const form = h("form", { id: "description-form", novalidate: true, "data-autosave": `dossier:${id}:description` });
  identityFields(filing, form, editable);
  for (const [name, label, list] of fieldsOf(filing)) {
    const value = list ? (filing[name] || []).join("\n") : filing[name] || "";
    form.append(h("div", { class: "fr-input-group" },
      h("label", { class: "fr-label", for: `f-${name}` }, label),
      h("textarea", { class: "fr-input", id: `f-${name}`, name, rows: list ? 5 : 3, disabled: !editable(name) }, value)));
  }
  if (filing.repertoire === "rncp") {
    const blocks = h("div", { id: "blocks" });
    const addBlock = (b = { code: "", title: "", competences: [], assessment_methods: [] }) => {
      const n = blocks.children.length + 1;
      blocks.append(h("fieldset", { class: "fr-fieldset fr-mb-2w", "aria-labelledby": `block-${n}-legend`, "data-block": "" },
        h("legend", { class: "fr-fieldset__legend fr-text--md", id: `block-${n}-legend` }, `Bloc de compétences ${n}`),
        h("div", { class: "fr-fieldset__element fr-fieldset__element--inline" }, h("div", { class: "fr-input-group" }, h("label", { class: "fr-label", for: `block-${n}-code` }, "Code"), h("input", { class: "fr-input", id: `block-${n}-code`, name: `competence_blocks.${n - 1}.code`, value: b.code, disabled: !editable("competence_blocks") }))),
        h("div", { class: "fr-fieldset__element" }, h("div", { class: "fr-input-group" }, h("label", { class: "fr-label", for: `block-${n}-title` }, "Intitulé du bloc"), h("input", { class: "fr-input", id: `block-${n}-title`, name: `competence_blocks.${n - 1}.title`, value: b.title, disabled: !editable("competence_blocks") }))),
        h("div", { class: "fr-fieldset__element" }, h("div", { class: "fr-input-group" }, h("label", { class: "fr-label", for: `block-${n}-competences` }, "Compétences du bloc (une par ligne)"), h("textarea", { class: "fr-input", id: `block-${n}-competences`, name: `competence_blocks.${n - 1}.competences`, rows: 3, disabled: !editable("competence_blocks") }, (b.competences || []).join("\n")))),
        h("div", { class: "fr-fieldset__element" }, h("div", { class: "fr-input-group" }, h("label", { class: "fr-label", for: `block-${n}-assessment_methods` }, "Modalités d’évaluation du bloc (une par ligne, obligatoires — art. R.6113-9)"), h("textarea", { class: "fr-input", id: `block-${n}-assessment_methods`, name: `competence_blocks.${n - 1}.assessment_methods`, rows: 2, disabled: !editable("competence_blocks") }, (b.assessment_methods || []).join("\n")))),
      ));
    };
    (filing.competence_blocks || []).forEach(addBlock);
    form.append(h("h3", { class: "fr-h5", id: "competence_blocks-title", "data-field": "competence_blocks" }, "Blocs de compétences"), blocks);
    if (editable("competence_blocks")) {
      if (!blocks.children.length) addBlock();
      form.append(h("button", { class: "fr-btn fr-btn--tertiary fr-btn--sm fr-mb-3w", type: "button", onclick: () => addBlock() }, "Ajouter un bloc"));
    }
  }
  if ([...IDENTITY, ...fieldsOf(filing).map(([name]) => name), "competence_blocks"].some(editable)) {
    form.append(h("button", { class: "fr-btn fr-btn--secondary", type: "submit" }, "Enregistrer la description"));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form);
      const body = identityBody(filing, form, editable);
      if (!body) return form.querySelector("[aria-invalid]")?.focus();
      const before = IDENTITY.map((k) => filing[k]);
      for (const [name, , list] of fieldsOf(filing)) {
        if (!editable(name)) continue;
        const v = form.elements[name].value.trim();
        body[name] = list ? v.split("\n").map((s) => s.trim()).filter(Boolean) : v || null;
      }
      if (editable("competence_blocks")) {
        body.competence_blocks = [...form.querySelectorAll("[data-block]")].map((fs) => {
          const [code, title, comps, methods] = fs.querySelectorAll("input, textarea");
          const lines = (el) => el.value.split("\n").map((s) => s.trim()).filter(Boolean);
          return { code: code.value.trim(), title: title.value.trim(), competences: lines(comps), assessment_methods: lines(methods) };
        }).filter((b) => b.code || b.title || b.competences.length || b.assessment_methods.length);
      }
      const button = form.querySelector("button[type=submit]");
      setBusy(button, true, "Enregistrement…");
      try {
        const saved = await api(`/api/filings/${id}`, { method: "PATCH", json: body });
        clearDrafts(form);
        // The title, level or CQP change the page's heading and the pieces asked for.
        if (IDENTITY.some((k, i) => saved[k] !== before[i])) await render("description-form");
        showAlert(document.getElementById("description-form"), "La description est enregistrée.", { title: "Enregistré", type: "success" });
      } catch (err) {
        showError(form, err);
      } finally {
        setBusy(button, false);
      }
    });
  }
  return form;
}

/**
 * One line of the checklist. `asked`: France compétences asks for this piece anew (open
 * request): "À remplacer" until a new version is uploaded. `linkTo`: show a link to where
 * it is replaced instead of the upload form (the Pièces tab, while the answer block has it).
 */
function pieceRow(filing, req, { asked = false, linkTo = null, rowId = null, history = null } = {}) {
  const editable = filing.editable_items?.includes(req.doc_type) && !linkTo;
  const key = req.doc_type;
  const docs = req.documents || [];
  const li = h("div", { class: "fr-mb-4w", id: rowId || `piece-${key}`, "data-piece": key });
  const replaced = asked && docs.some((d) => !d.submitted_in_round);
  const state = asked
    ? replaced
      ? h("p", { class: "fr-badge fr-badge--sm fr-badge--new", "data-state": "replaced" }, "Remplacée — envoyée avec votre réponse")
      : h("p", { class: "fr-badge fr-badge--sm fr-badge--warning", "data-state": "to-replace" }, "À remplacer")
    : req.provided
    ? req.valid === false
      ? h("p", { class: "fr-badge fr-badge--sm fr-badge--warning" }, "À remplacer")
      : h("p", { class: "fr-badge fr-badge--sm fr-badge--success" }, "Fournie")
    : req.required
      ? h("p", { class: "fr-badge fr-badge--sm fr-badge--error" }, "Manquante")
      : h("p", { class: "fr-badge fr-badge--sm fr-badge--no-icon" }, "Facultative");
  li.append(h("h3", { class: "fr-h6 fr-mb-1w" }, req.label || key, " ", h("span", { class: "fr-text--sm fr-text--regular" }, req.required ? "(obligatoire)" : "(facultative)")), state);
  if (req.asked_anew) li.append(h("p", { class: "fr-text--sm fr-mb-1w", "data-asked-anew": "" }, "France compétences vous demande une version récente de cette pièce : elle doit dater de moins de trois mois à la date de votre réponse."));
  if (req.issue) li.append(h("p", { class: "fr-error-text" }, req.issue));
  else if (req.dated && req.judged_on && req.valid_until) {
    const filed = docs.some((d) => d.submitted_in_round) && !req.asked_anew;
    li.append(h("p", { class: "fr-text--sm fr-mb-1w", "data-dated": "" }, filed
      ? `Appréciée à la date de son dépôt, le ${fmtDate(req.judged_on)} : elle reste valable pour toute la suite de l’instruction (elle avait moins de trois mois jusqu’au ${fmtDate(req.valid_until)}).`
      : `Elle doit avoir moins de trois mois le jour du dépôt : c’est le cas jusqu’au ${fmtDate(req.valid_until)} inclus.`));
  }
  if (docs.length) {
    li.append(h("ul", {}, docs.map((d) => h("li", {},
      `${d.filename} — ${fmtSize(d.size)}`, d.document_date ? ` — daté du ${fmtDate(d.document_date)}` : "", ` — version ${d.version}, déposée le ${fmtDate(d.uploaded_at)} `,
      h("button", { class: "fr-btn fr-btn--tertiary-no-outline fr-btn--sm fr-icon-download-line fr-btn--icon-left", type: "button", onclick: () => download(`/api/filings/${id}/documents/${d.document_id}/content`, d.filename).catch((e) => showError(li, e)) }, "Télécharger", h("span", { class: "fr-sr-only" }, ` ${d.filename}`)),
      editable ? h("button", { class: "fr-btn fr-btn--tertiary-no-outline fr-btn--sm fr-icon-delete-line fr-btn--icon-left", type: "button", onclick: async () => {
        if (!confirm(`Supprimer ${d.filename} ?`)) return;
        try { await api(`/api/filings/${id}/documents/${d.document_id}`, { method: "DELETE" }); await render(); } catch (e) { showError(li, e); }
      } }, "Supprimer", h("span", { class: "fr-sr-only" }, ` ${d.filename}`)) : null,
    ))));
  }
  if (history) li.append(history);
  if (linkTo && asked && !replaced) li.append(h("p", {}, h("a", { class: "fr-link fr-icon-arrow-right-line fr-link--icon-right", href: `#${linkTo}` }, `Remplacer cette pièce dans votre réponse`)));
  if (editable) {
    const form = h("form", { novalidate: true, class: "fr-grid-row fr-grid-row--gutters fr-grid-row--bottom" });
    const file = h("input", { class: "fr-upload", type: "file", id: `file-${key}`, name: `documents.${key}`, accept: ".pdf,.png,.jpg,.jpeg,.odt,.docx" });
    form.append(h("div", { class: "fr-col-12 fr-col-md-6" }, h("div", { class: "fr-upload-group" },
      h("label", { class: "fr-label", for: `file-${key}` }, docs.length && !req.multiple ? "Remplacer la pièce" : "Ajouter un fichier", h("span", { class: "fr-hint-text" }, "PDF, PNG, JPEG, ODT ou DOCX.")), file)));
    let date = null;
    if (req.dated) {
      date = h("input", { class: "fr-input", type: "date", id: `date-${key}`, name: `document_date.${key}`, max: parisToday() });
      form.append(h("div", { class: "fr-col-12 fr-col-md-3" }, h("div", { class: "fr-input-group" }, h("label", { class: "fr-label", for: `date-${key}` }, "Date du document", h("span", { class: "fr-hint-text" }, "Moins de trois mois.")), date)));
    }
    const button = h("button", { class: "fr-btn fr-btn--secondary fr-icon-upload-line fr-btn--icon-left", type: "submit" }, "Envoyer", h("span", { class: "fr-sr-only" }, ` : ${req.label || key}`));
    form.append(h("div", { class: "fr-col-12 fr-col-md-3" }, button));
    const bar = h("progress", { class: "cr-progress cr-hidden", max: 100, value: 0, id: `progress-${key}`, "aria-label": `Envoi de la pièce ${req.label || key}` });
    form.append(h("div", { class: "fr-col-12" }, bar));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form);
      if (!file.files.length) return markField(file, "Choisissez un fichier."), file.focus();
      if (date && !date.value) return markField(date, "Indiquez la date du document."), date.focus();
      const query = date ? `?document_date=${date.value}` : "";
      setBusy(button, true);
      bar.classList.remove("cr-hidden");
      try {
        await upload(`/api/filings/${id}/documents/${key}${query}`, file.files[0], { onProgress: (f) => (bar.value = Math.round(f * 100)) });
        await render(`piece-${key}`);
      } catch (err) {
        bar.classList.add("cr-hidden");
        setBusy(button, false);
        if (err instanceof ApiError && err.status === 422 && Array.isArray(err.detail)) {
          for (const d of err.detail) markField((d.loc || []).includes("document_date") && date ? date : file, d.msg);
        } else if (err instanceof ApiError && [413, 415, 409].includes(err.status)) markField(file, messageOf(err));
        else showError(form, err);
        (form.querySelector("[aria-invalid]") || form).focus();
      }
    });
    li.append(form);
  }
  return li;
}

/** The commission adjourned the case and waits for the improved dossier (no request open). */
const isAdjourned = (filing, kase) => !filing.open_request && kase?.status === "adjourned" && kase.opinion?.opinion === "adjourned";

function submitBlock(filing, { adjourned = false } = {}) {
  const form = h("form", { id: "submit-form", novalidate: true });
  form.append(
    h("div", { class: "fr-checkbox-group fr-mb-3w" },
      h("input", { type: "checkbox", id: "sworn_statement", name: "sworn_statement" }),
      h("label", { class: "fr-label", for: "sworn_statement" }, "Je certifie sur l’honneur l’exactitude des informations et des pièces fournies.",
        h("span", { class: "fr-hint-text" }, "Des informations fausses ou incomplètes suspendent la demande ; une fausse déclaration la rend irrecevable."))),
    h("button", { class: "fr-btn fr-icon-send-plane-line fr-btn--icon-left", type: "submit" }, filing.is_draft ? "Déposer la demande" : adjourned ? "Déposer le dossier amélioré" : "Envoyer les compléments"),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(page);
    if (!form.sworn_statement.checked) return markField(form.sworn_statement, "Cochez la déclaration sur l’honneur pour déposer la demande."), form.sworn_statement.focus();
    const button = form.querySelector("button");
    setBusy(button, true, "Dépôt…");
    try {
      const submit = { sworn_statement: true };
      await api(`/api/filings/${id}/submit`, { method: "POST", json: submit, idempotencyKey: intentKey(`submit-filing:${id}`, submit) });
      actionDone(`submit-filing:${id}`);
      await render();
      if (adjourned) showAlert(page, "Votre dossier amélioré est déposé : il sera présenté à une prochaine séance de la commission. L’accusé de dépôt est dans l’onglet Courriers.", { title: "Dossier amélioré déposé", type: "success" });
      else showAlert(page, "Votre demande est déposée. L’accusé de dépôt est disponible ci-dessous.", { title: "Demande déposée", type: "success" });
    } catch (err) {
      setBusy(button, false);
      if (err instanceof ApiError && err.status === 422 && Array.isArray(err.detail)) showSubmitProblems(form, err.detail);
      else showError(page, err, { alertTitle: "La demande ne peut pas encore être déposée" });
    }
  });
  return form;
}

/**
 * A refused submission (422): each missing or invalid piece next to its line of the
 * checklist (loc ["filing", "documents", doc_type]), each field next to its field
 * (["filing", field]), and a summary above the button with links to each of them.
 */
function showSubmitProblems(form, detail) {
  clearErrors(page);
  const links = [];
  for (const d of detail) {
    const loc = (d.loc || []).filter((p) => !["body", "filing"].includes(p));
    let target = null;
    let anchor = null;
    if (loc[0] === "documents" && loc[1]) {
      const row = document.getElementById(`piece-${loc[1]}`);
      const input = document.getElementById(`file-${loc[1]}`);
      anchor = row && `piece-${loc[1]}`;
      if (input) target = input;
      else if (row) {
        let p = row.querySelector(":scope > .cr-piece-error");
        if (!p) row.append((p = h("p", { class: "fr-error-text cr-piece-error", id: `piece-${loc[1]}-erreur`, dataset: { apiError: "" } })));
        p.textContent = `${p.textContent} ${d.msg}`.trim();
      }
    } else if (loc[0]) {
      target = page.querySelector(`[name="${CSS.escape(loc[0])}"]`) || page.querySelector(`[data-field="${CSS.escape(loc[0])}"]`);
      anchor = target?.id || null;
      if (target && !["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName)) {
        target.after(h("p", { class: "fr-error-text", dataset: { apiError: "" } }, d.msg));
        target = null;
      }
    }
    if (target) markField(target, d.msg);
    links.push(anchor ? h("a", { href: `#${anchor}` }, d.msg) : d.msg);
  }
  const box = h("div", { class: "fr-alert fr-alert--error fr-mb-3w", role: "alert", tabindex: "-1", id: "submit-problems", dataset: { apiError: "" } },
    h("h3", { class: "fr-alert__title" }, `La demande ne peut pas encore être déposée : ${detail.length} élément${detail.length > 1 ? "s" : ""} à compléter`),
    h("ul", {}, links.map((l) => h("li", {}, l))));
  form.prepend(box);
  box.focus();
}

async function documentsList(title, url, item, empty) {
  try {
    const items = itemsOf(await api(url));
    if (!items.length) return section(title, h("p", {}, empty));
    return section(title, h("ul", {}, items.map(item)));
  } catch {
    return section(title, h("p", {}, empty));
  }
}

/** The doc_types and the questions of the open request. */
function asked(filing) {
  const items = filing.open_request?.items || [];
  return { pieces: items.filter((i) => i.doc_type).map((i) => i.doc_type), questions: items.filter((i) => i.question).map((i) => i.question) };
}

/**
 * The answer to the open request, in one place: each piece asked for with its upload,
 * one answer field per question, the sworn statement and one "Envoyer ma réponse" —
 * the answers go as one message, then the pieces as the new submission that answers it.
 */
function answerBlock(filing, history) {
  const req = filing.open_request;
  const { pieces, questions } = asked(filing);
  const byType = new Map((filing.requirements || []).map((r) => [r.doc_type, r]));
  const box = h("section", { class: "fr-mb-4w fr-p-3w cr-answer", id: "reponse", "aria-labelledby": "h-reponse" },
    h("h2", { id: "h-reponse" }, "Votre réponse à France compétences"));
  if (pieces.length) {
    box.append(h("h3", { class: "fr-h5" }, pieces.length > 1 ? "Pièces à remplacer" : "Pièce à remplacer"));
    for (const t of pieces) {
      const r = byType.get(t);
      if (r) box.append(pieceRow(filing, r, { asked: true, history: history(t, r.label) }));
      else box.append(h("p", { id: `piece-${t}` }, `${itemLabel(t)} : à déposer.`));
    }
  }
  const form = h("form", { id: "answer-form", novalidate: true, "data-autosave": `dossier:${id}:answers:${req.request_id}` });
  if (questions.length) {
    form.append(h("h3", { class: "fr-h5" }, questions.length > 1 ? "Vos réponses aux questions" : "Votre réponse à la question"));
    questions.forEach((q, i) => form.append(h("div", { class: "fr-input-group" },
      h("label", { class: "fr-label", for: `answer-${i}` }, `Question ${i + 1} : ${q}`),
      h("textarea", { class: "fr-input", id: `answer-${i}`, name: `answer.${i}`, rows: 4, maxlength: 4000, "data-question": q }))));
  }
  form.append(
    h("div", { class: "fr-checkbox-group fr-mb-3w" },
      h("input", { type: "checkbox", id: "answer-sworn", name: "sworn_statement" }),
      h("label", { class: "fr-label", for: "answer-sworn" }, "Je certifie sur l’honneur l’exactitude des informations et des pièces fournies.")),
    h("button", { class: "fr-btn fr-icon-send-plane-line fr-btn--icon-left", type: "submit" }, "Envoyer ma réponse"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(box);
    const problems = [];
    const answers = questions.map((q, i) => ({ q, field: form.elements[`answer.${i}`] }));
    for (const a of answers) if (!a.field.value.trim()) problems.push([a.field, "Répondez à cette question."]);
    for (const t of pieces) {
      const docs = byType.get(t)?.documents || [];
      if (!docs.some((d) => !d.submitted_in_round)) problems.push([document.getElementById(`file-${t}`), `Déposez la nouvelle version : ${itemLabel(t)}.`]);
    }
    if (!form.sworn_statement.checked) problems.push([form.sworn_statement, "Cochez la déclaration sur l’honneur."]);
    if (problems.length) {
      for (const [el, msg] of problems) if (el) markField(el, msg);
      return (problems[0][0] || form).focus();
    }
    const button = form.querySelector("button[type=submit]");
    setBusy(button, true, "Envoi…");
    const sentKey = `certreg:answered:${req.request_id}`;
    try {
      // The answers first, once (a second click after a refused submission does not repeat them).
      if (answers.length && !sessionStorage.getItem(sentKey)) {
        const body = answers.map((a, i) => `Question ${i + 1} : ${a.q}\nRéponse : ${a.field.value.trim()}`).join("\n\n");
        await api(`/api/review/cases/${id}/messages`, { method: "POST", json: { subject: `Réponse à la demande du ${fmtDate(req.opened_at)}`.slice(0, 200), body } });
        sessionStorage.setItem(sentKey, "1");
      }
      const submit = { sworn_statement: true };
      await api(`/api/filings/${id}/submit`, { method: "POST", json: submit, idempotencyKey: intentKey(`submit-filing:${id}`, submit) });
      actionDone(`submit-filing:${id}`);
      clearDrafts(form);
      await render();
      showAlert(page, "Votre réponse est envoyée à France compétences, avec les pièces déposées. L’accusé de dépôt est dans l’onglet Courriers.", { title: "Réponse envoyée", type: "success" });
    } catch (err) {
      setBusy(button, false);
      if (err instanceof ApiError && err.status === 422 && Array.isArray(err.detail)) showSubmitProblems(form, err.detail);
      else showError(form, err, { alertTitle: "Votre réponse n’est pas encore envoyée" });
    }
  });
  box.append(form);
  return box;
}

function requestBanner(filing) {
  const req = filing.open_request;
  const due = req.due_date || filing.due_date;
  const why = req.due_explanation || filing.due_explanation || null; // moved to the next working day: says why
  const { pieces, questions } = asked(filing);
  return h("div", { class: "fr-alert fr-alert--warning fr-mb-4w", id: "banner" },
    h("h2", { class: "fr-alert__title" }, "France compétences attend une réponse de votre part"),
    h("p", { class: "cr-pre" }, req.message || filing.banner || ""),
    pieces.length || questions.length ? h("ul", {},
      pieces.map((t) => h("li", {}, "Pièce à remplacer : ", h("a", { href: `#piece-${t}` }, itemLabel(t)))),
      questions.map((q, i) => h("li", {}, "Question : ", h("a", { href: `#answer-${i}` }, q)))) : null,
    due ? h("p", {}, h("strong", { class: "cr-due", title: why }, `À déposer avant le ${fmtDate(due)}`), ` (${daysLeft(due)}).`) : null,
    h("p", {}, h("a", { class: "fr-link", href: "#reponse" }, "Répondre")));
}

/** The commission's adjournment: its reasons against the criteria, the day the improved
 * dossier is due, and the way to deposit it. */
function adjournedBanner(filing, kase, all) {
  const o = kase.opinion;
  const due = o.resubmission_due || filing.due_date;
  return h("div", { class: "fr-alert fr-alert--warning fr-mb-4w", id: "banner", "data-adjourned": "" },
    h("h2", { class: "fr-alert__title" }, `La commission a ajourné l’examen de votre demande${o.session_date ? ` (séance du ${fmtDate(o.session_date)})` : ""}`),
    h("p", {}, "Déposez un dossier amélioré qui réponde aux motifs de la commission ; à défaut, il sera présenté de nouveau en l’état à une prochaine séance."),
    o.reasons?.length ? h("p", { class: "fr-mb-1v" }, h("strong", {}, "Motifs de la commission :")) : null,
    o.reasons?.length ? h("ul", { id: "adjournment-reasons" }, o.reasons.map((r) => h("li", {}, h("strong", {}, r.label || criterionLabel(all, kase.repertoire, r.criterion)), ` : ${r.text}`))) : null,
    due ? h("p", {}, h("strong", { class: "cr-due", title: filing.due_explanation || null }, `Dossier amélioré à déposer avant le ${fmtDate(due)}`), ` (${daysLeft(due)}).`) : null,
    filing.can_submit ? h("p", {}, h("a", { class: "fr-link", href: "#submit-form" }, "Déposer le dossier amélioré")) : null);
}

function filingSummary(filing, kase) {
  const reqs = filing.requirements || [];
  const required = reqs.filter((r) => r.required);
  return summary("summary", [
    ["N° de dossier", filing.reference || null],
    ["Répertoire", `${REPERTOIRES[filing.repertoire] || filing.repertoire}${filing.qualification_level ? ` — niveau ${filing.qualification_level}` : ""}${filing.is_cqp ? " — CQP" : ""}`],
    ["État", filing.procedure_status || filing.status],
    ["Déposée le", filing.submitted_at ? fmtDate(filing.submitted_at) : "pas encore déposée"],
    ["Date limite", filing.due_date ? `${fmtDate(filing.due_date)} (${daysLeft(filing.due_date)})` : null],
    ["Pièces obligatoires", `${required.filter((r) => r.provided && r.valid !== false).length} fournie(s) sur ${required.length}`],
    ["Numéro d’enregistrement", kase?.registration_number || null],
  ]);
}

async function render(focusId) {
  let filing;
  try {
    filing = await api(`/api/filings/${id}`);
  } catch (err) {
    page.replaceChildren(h("h1", {}, "Dossier"));
    showError(page, err);
    return;
  }
  setTitle(filing.title || "Dossier");
  document.getElementById("crumb").textContent = filing.title || "Dossier";
  const [kase, versions, names] = await Promise.all([
    filing.is_draft ? null : loadCase(id).catch(() => null),
    piecesByType(id),
    memberNames(filing.entity_id),
  ]);
  const history = (t, label) => pieceHistory(id, versions.get(t), names, label);
  const parts = [];
  const open = filing.open_request;
  const { pieces: askedPieces } = open ? asked(filing) : { pieces: [] };
  const adjourned = isAdjourned(filing, kase);
  if (open) parts.push(requestBanner(filing));
  else if (adjourned) parts.push(adjournedBanner(filing, kase, await criteria()));
  else if (filing.banner) {
    parts.push(h("div", { class: `fr-alert fr-alert--${filing.editable ? "warning" : "info"} fr-mb-4w`, id: "banner" },
      h("h2", { class: "fr-alert__title" }, filing.procedure_status),
      h("p", { class: "cr-pre" }, filing.banner),
      filing.due_date ? h("p", {}, h("strong", { class: "cr-due", title: filing.due_explanation || null }, `Date limite : ${fmtDate(filing.due_date)}`), ` (${daysLeft(filing.due_date)}).`) : null));
  }
  parts.push(
    h("h1", {}, filing.title || "Dossier"),
    h("p", {}, h("span", { class: "fr-badge fr-badge--info fr-badge--no-icon fr-mr-1w", id: "status" }, filing.procedure_status || filing.status),
      ` ${REPERTOIRES[filing.repertoire] || filing.repertoire}`, filing.qualification_level ? ` — niveau ${filing.qualification_level}` : "", filing.is_cqp ? " — CQP" : "",
      filing.submitted_at ? ` — déposé le ${fmtDate(filing.submitted_at)}` : ""),
    stepper(kase?.status || (filing.is_draft ? "draft" : "submitted"), {
      timeline: kase?.timeline, label: filing.procedure_status, byRight: (kase?.registration_type || filing.fiche?.registration_type) === "by_right" }),
    filingSummary(filing, kase),
  );
  if (filing.renews) parts.push(renewalNote(filing));
  if (kase?.decision) {
    const box = decisionBox(kase.decision, kase.repertoire, await criteria());
    if (kase.decision.acknowledged_at) box.append(h("p", { class: "fr-text--sm" }, `Réception accusée le ${fmtDateTime(kase.decision.acknowledged_at)}.`));
    else {
      const ack = h("button", { class: "fr-btn fr-btn--sm fr-btn--secondary", type: "button" }, "Accuser réception de la décision");
      ack.addEventListener("click", async () => {
        setBusy(ack, true, "Envoi…");
        try {
          await api(`/api/review/cases/${id}/acknowledge`, { method: "POST" });
          await render("decision");
        } catch (err) {
          setBusy(ack, false);
          showError(box, err);
        }
      });
      box.append(ack);
    }
    parts.push(box);
  }
  if (open && filing.can_submit) parts.push(answerBlock(filing, history));

  // Dossier: the description; the fiche's module puts its form in #fiche-slot.
  const ficheParts = [
    section("Fiche de la certification", ficheForm(filing, { onSaved: () => render("fiche-form") })),
    section("Aperçu de la fiche publique", h("p", {}, "La fiche telle qu’elle sera publiée au registre si la certification est enregistrée (le numéro et les dates sont attribués à la décision)."), fichePreview(filing)),
  ];
  if (filing.submission_round >= 1) {
    const changed = [await ficheChanges(id)];
    if (filing.editable) changed.push(await ficheChanges(id, { current: true }));
    ficheParts.push(section("Modifications d’un dépôt à l’autre", ...changed));
  }
  const dossierTab = h("div", {}, section("Description", describe(filing)), h("div", { id: "fiche-slot" }, ...ficheParts));
  const piecesBox = h("div", { id: "pieces" });
  for (const req of filing.requirements || []) {
    const isAsked = askedPieces.includes(req.doc_type) && filing.can_submit;
    piecesBox.append(isAsked
      ? pieceRow(filing, req, { asked: true, linkTo: `piece-${req.doc_type}`, rowId: `liste-piece-${req.doc_type}`, history: history(req.doc_type, req.label) })
      : pieceRow(filing, req, { asked: askedPieces.includes(req.doc_type), history: history(req.doc_type, req.label) }));
  }
  const piecesTab = section("Pièces du dossier", h("p", {}, "Les pièces datées (bulletin n°3, mandat) doivent dater de moins de trois mois le jour où elles sont déposées avec la demande. Une pièce déposée reste valable pour la suite de l’instruction, sauf si France compétences vous en demande une nouvelle."), piecesBox);
  const letters = await Promise.all([
    documentsList("Accusés de dépôt", `/api/filings/${id}/receipts`, (r) => h("li", {}, h("button", { class: "fr-btn fr-btn--tertiary-no-outline fr-btn--sm fr-icon-download-line fr-btn--icon-left", type: "button", onclick: (e) => download(`/api/filings/${id}/receipts/${r.receipt_id}/content`, r.filename).catch((err) => showError(e.target.closest("section"), err)) }, `Accusé de dépôt n°${r.submission_round} du ${fmtDate(r.created_at)}`)), "Aucun accusé pour l’instant : il est délivré au dépôt."),
    documentsList("Courriers et décisions", `/api/notifier/letters?filing_id=${id}`, (l) => h("li", { "data-letter": l.kind }, h("button", { class: "fr-btn fr-btn--tertiary-no-outline fr-btn--sm fr-icon-download-line fr-btn--icon-left", type: "button", onclick: (e) => download(l.content_url, l.filename).catch((err) => showError(e.target.closest("section"), err)) }, `${l.title} — ${fmtDate(l.created_at)}`), h("span", { class: "fr-text--sm" }, ` PDF, ${fmtSize(l.size)}`)), "Aucun courrier pour l’instant."),
  ]);
  const exchanges = kase
    ? section("Échanges avec France compétences", await dialogue(id, false))
    : section("Échanges avec France compétences", h("p", {}, "Les échanges seront possibles dès la prise en charge de la demande par France compétences."));
  const historyTab = section("Suivi de la demande", kase ? await caseOverview(kase, { requests: false, decision: false }) : h("p", {}, "Le suivi sera disponible dès la prise en charge de la demande par France compétences."));
  parts.push(tabs("Sections du dossier", [
    { id: "dossier", label: "Dossier", content: dossierTab },
    { id: "pieces", label: "Pièces", content: piecesTab },
    { id: "echanges", label: "Échanges", content: exchanges },
    { id: "courriers", label: "Courriers", content: h("div", {}, ...letters) },
    { id: "historique", label: "Historique", content: historyTab },
    // A registered certification: its registration, renewal and partner organisations (registration.js).
    ...(filing.registration ? [{ id: "enregistrement", label: "Enregistrement", content: h("div", {}, ...(await registrationSections(filing))) }] : []),
  ]));
  if (filing.can_submit && !open) {
    const title = filing.is_draft ? "Dépôt de la demande" : adjourned ? "Dépôt du dossier amélioré" : "Envoi des compléments";
    parts.push(section(title, submitBlock(filing, { adjourned })));
  }
  if (filing.can_withdraw && !filing.is_draft) {
    const withdraw = h("button", { class: "fr-btn fr-btn--tertiary fr-mt-6w", type: "button" }, "Retirer ma demande");
    withdraw.addEventListener("click", async () => {
      const answer = await confirmAction({
        title: "Retirer votre demande ?",
        text: "Retirée, la demande ne sera plus examinée ; ce retrait est définitif.",
        confirmLabel: "Retirer ma demande",
        reason: { label: "Motif du retrait", hint: "Il est transmis à France compétences.", required: true, missing: "Indiquez le motif du retrait." },
      });
      if (!answer) return;
      try { await api(`/api/filings/${id}/withdraw`, { method: "POST", json: { reason: answer.reason } }); await render(); } catch (e) { showError(page, e); }
    });
    parts.push(withdraw);
  }
  page.replaceChildren(...parts);
  const target = focusId || location.hash.slice(1);
  if (target && !reveal(target, { scroll: !!focusId })) document.getElementById(target)?.scrollIntoView();
}

await render();
// Opening the dossier reads its notifications (the bell's count follows).
api(`/api/notifier/notifications/read-all?filing_id=${id}`, { method: "POST" }).then(() => refreshBell()).catch(() => {});
