// The dialogue of a case with pieces attached, both ways: each message lists its pieces
// (download), and the form attaches pieces submitted with the filing (review refuses any
// other). Typed text is kept as a draft (autosave.js) until the message is sent.
import { api, clearErrors, download, fmtDateTime, fmtSize, h, itemsOf, markField, setBusy, showError } from "/static/js/api.js";
import { clearDrafts } from "/static/js/autosave.js";
import { ACTOR_ROLES, itemLabel } from "/static/js/labels.js";

/** Every version of every piece of the filing, by id: what a message may point to. */
export async function filingVersions(id) {
  const byId = new Map();
  try {
    for (const p of itemsOf(await api(`/api/filings/${id}/documents`))) {
      for (const v of p.versions || []) byId.set(v.document_id, { ...v, label: p.label || itemLabel(p.doc_type) });
    }
  } catch {
    /* no pieces to show */
  }
  return byId;
}

function attachmentList(id, ids, versions) {
  if (!ids?.length) return null;
  return h("ul", { class: "fr-mb-0 fr-mt-1w", "data-attachments": "" }, ids.map((d) => {
    const v = versions.get(d);
    const name = v ? `${v.label} — ${v.filename} (version ${v.version}, ${fmtSize(v.size)})` : "Pièce du dossier";
    return h("li", {}, h("button", { class: "fr-btn fr-btn--tertiary-no-outline fr-btn--sm fr-icon-download-line fr-btn--icon-left", type: "button",
      onclick: (e) => download(`/api/filings/${id}/documents/${d}/content`, v?.filename || "piece").catch((err) => showError(e.target.closest("li"), err)) }, name));
  }));
}

/** The thread and its form (`staff`: written by France compétences). */
export async function dialogue(id, staff) {
  const box = h("div", { id: "dialogue" });
  async function fill() {
    let items = [];
    try {
      items = itemsOf(await api(`/api/review/cases/${id}/messages`));
    } catch {
      box.replaceChildren(h("p", {}, "Les échanges seront disponibles dès la prise en charge du dossier."));
      return;
    }
    const versions = await filingVersions(id);
    const author = (m) => (m.author_side === "staff" ? `France compétences${m.author_name ? ` (${m.author_name})` : ""}` : m.author_name || ACTOR_ROLES[m.author_role] || "Déposant");
    const list = items.length
      ? h("ul", { class: "cr-thread" }, items.map((m) => h("li", { class: m.author_side === "staff" ? "cr-staff" : "", "data-message": m.id },
          h("p", { class: "fr-text--sm fr-mb-1w" }, h("strong", {}, author(m)), " — ", h("time", { datetime: m.posted_at }, fmtDateTime(m.posted_at))),
          m.subject ? h("p", { class: "fr-mb-1w" }, h("strong", {}, m.subject)) : null,
          h("p", { class: "fr-mb-0 cr-pre" }, m.body),
          attachmentList(id, m.document_ids, versions))))
      : h("p", {}, "Aucun message pour l’instant.");
    // Only pieces that went with a submission can be attached (the current version of each).
    const attachable = [...versions.values()].filter((v) => v.submitted_in_round && v.current);
    const form = h("form", { novalidate: true, class: "fr-mt-3w", id: "message-form", "data-autosave": `dossier:${id}:messages` },
      h("div", { class: "fr-input-group" }, h("label", { class: "fr-label", for: "message-subject" }, "Objet (facultatif)"), h("input", { class: "fr-input", id: "message-subject", name: "subject", maxlength: 200 })),
      h("div", { class: "fr-input-group" }, h("label", { class: "fr-label", for: "message-body" }, staff ? "Écrire au déposant" : "Écrire à France compétences"), h("textarea", { class: "fr-input", id: "message-body", name: "body", rows: 4, maxlength: 10000 })),
      attachable.length ? h("fieldset", { class: "fr-fieldset", id: "fs-attachments", "aria-labelledby": "lg-attachments" },
        h("legend", { class: "fr-fieldset__legend fr-text--regular", id: "lg-attachments" }, "Joindre des pièces du dossier (facultatif)", h("span", { class: "fr-hint-text" }, "Les pièces déposées avec la demande.")),
        attachable.map((v) => h("div", { class: "fr-fieldset__element" }, h("div", { class: "fr-checkbox-group fr-checkbox-group--sm" },
          h("input", { type: "checkbox", id: `attach-${v.document_id}`, name: "attach", value: v.document_id }),
          h("label", { class: "fr-label", for: `attach-${v.document_id}` }, `${v.label} — ${v.filename}`))))) : null,
      h("button", { class: "fr-btn fr-btn--secondary", type: "submit" }, "Envoyer le message"));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form);
      const body = form.body.value.trim();
      if (!body) return markField(form.body, "Saisissez votre message."), form.body.focus();
      const button = form.querySelector("button[type=submit]");
      const document_ids = [...form.querySelectorAll("input[name=attach]:checked")].map((i) => i.value);
      setBusy(button, true, "Envoi…");
      try {
        await api(`/api/review/cases/${id}/messages`, { method: "POST", json: { body, subject: form.subject.value.trim() || null, document_ids } });
        clearDrafts(form);
        await fill();
        document.getElementById("message-body")?.focus();
      } catch (err) {
        setBusy(button, false);
        showError(form, err);
      }
    });
    box.replaceChildren(list, form);
  }
  await fill();
  return box;
}
