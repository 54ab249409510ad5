// The commission's opinion on a case of a session, with its reasons against the
// registration criteria (GET /api/review/criteria): the case page and the commission page.
import { api, clearErrors, h, markField, setBusy, showError, parisToday } from "/static/js/api.js";
import { OPINIONS } from "/static/js/labels.js";

/**
 * A form for POST /api/review/sessions/{sessionId}/opinions on `kase`
 * ({filing_id, title, repertoire}); `criteria` is {code: label} of its repertoire.
 * `onDone(result)` after the opinion is recorded. `correction`: the form replaces the
 * opinion given at that session (PUT …/opinions/{filing_id}) and asks why.
 */
export function opinionForm(kase, sessionId, criteria, onDone, { correction = false } = {}) {
  const key = `${correction ? "c" : ""}${kase.filing_id}`.slice(0, 8);
  const codes = Object.entries(criteria || {});
  const reasons = h("div", { "data-field": "reasons", id: `reasons-${key}` });
  const addReason = () => {
    const i = reasons.children.length;
    reasons.append(h("div", { class: "fr-grid-row fr-grid-row--gutters", "data-reason": "" },
      h("div", { class: "fr-col-12 fr-col-md-5" }, h("div", { class: "fr-select-group" },
        h("label", { class: "fr-label", for: `crit-${key}-${i}` }, `Critère du motif ${i + 1}`),
        h("select", { class: "fr-select", id: `crit-${key}-${i}`, name: `reasons.${i}.criterion` },
          h("option", { value: "" }, "Choisissez un critère"), codes.map(([code, label]) => h("option", { value: code }, label))))),
      h("div", { class: "fr-col-12 fr-col-md-7" }, h("div", { class: "fr-input-group" },
        h("label", { class: "fr-label", for: `text-${key}-${i}` }, `Motif ${i + 1}`),
        h("textarea", { class: "fr-input", id: `text-${key}-${i}`, name: `reasons.${i}.text`, rows: 2, maxlength: 5000 })))));
  };
  addReason();
  const form = h("form", { novalidate: true, class: "fr-mb-3w", "data-opinion": kase.filing_id },
    h("fieldset", { class: "fr-fieldset", id: `op-fs-${key}`, "aria-labelledby": `op-legend-${key}`, "data-field": "opinion" },
      h("legend", { class: "fr-fieldset__legend", id: `op-legend-${key}` }, `Avis sur « ${kase.title} »`),
      Object.entries(OPINIONS).map(([value, text]) => h("div", { class: "fr-fieldset__element fr-fieldset__element--inline" },
        h("div", { class: "fr-radio-group" }, h("input", { type: "radio", id: `op-${key}-${value}`, name: "opinion", value }), h("label", { class: "fr-label", for: `op-${key}-${value}` }, text))))),
    h("p", { class: "fr-text--sm" }, "Motivez l’avis au regard des critères d’enregistrement (obligatoire pour un avis défavorable ou un ajournement)."),
    reasons,
    h("button", { class: "fr-btn fr-btn--tertiary fr-btn--sm fr-icon-add-line fr-btn--icon-left fr-mb-2w", type: "button", onclick: addReason }, "Ajouter un motif"),
    h("div", { class: "fr-input-group" },
      h("label", { class: "fr-label", for: `due-${key}` }, "Date limite de dépôt du dossier amélioré", h("span", { class: "fr-hint-text" }, "Seulement pour un ajournement.")),
      h("input", { class: "fr-input", type: "date", id: `due-${key}`, name: "resubmission_due", min: parisToday() })),
    correction ? h("div", { class: "fr-input-group" },
      h("label", { class: "fr-label", for: `why-${key}` }, "Motif de la correction", h("span", { class: "fr-hint-text" }, "Obligatoire ; il figure à l’historique du dossier.")),
      h("textarea", { class: "fr-input", id: `why-${key}`, name: "correction_reason", rows: 2, maxlength: 2000 })) : null,
    h("button", { class: correction ? "fr-btn fr-btn--secondary" : "fr-btn", type: "submit" }, correction ? "Corriger l’avis" : "Enregistrer l’avis"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const opinion = form.querySelector("input[name=opinion]:checked")?.value;
    if (!opinion) {
      const first = form.querySelector("input[name=opinion]");
      markField(first.closest("fieldset"), "Choisissez l’avis de la commission.");
      return first.focus();
    }
    const list = [...reasons.querySelectorAll("[data-reason]")]
      .map((row) => ({ criterion: row.querySelector("select").value, text: row.querySelector("textarea").value.trim(), row }))
      .filter((r) => r.criterion || r.text);
    let bad = null;
    for (const r of list) {
      if (!r.criterion) bad = bad || markField(r.row.querySelector("select"), "Choisissez le critère de ce motif.") || r.row.querySelector("select");
      if (!r.text) bad = bad || markField(r.row.querySelector("textarea"), "Rédigez le motif.") || r.row.querySelector("textarea");
    }
    if (correction && !form.correction_reason.value.trim()) bad = bad || markField(form.correction_reason, "Indiquez le motif de la correction.") || form.correction_reason;
    if (bad) return bad.focus();
    const due = form.resubmission_due.value;
    const body = { opinion, reasons: list.map(({ criterion, text }) => ({ criterion, text })) };
    if (due) body.resubmission_due = due;
    if (correction) body.correction_reason = form.correction_reason.value.trim();
    else body.filing_id = kase.filing_id;
    const button = form.querySelector("button[type=submit]");
    setBusy(button, true, "Enregistrement…");
    try {
      const result = correction
        ? await api(`/api/review/sessions/${sessionId}/opinions/${kase.filing_id}`, { method: "PUT", json: body })
        : await api(`/api/review/sessions/${sessionId}/opinions`, { method: "POST", json: body });
      await onDone(result);
    } catch (err) {
      setBusy(button, false);
      showError(form, err);
    }
  });
  return form;
}
