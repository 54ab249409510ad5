// Account requests to approve or reject: the SI administrator's (first accounts of new
// entities) and an entity manager's (colleagues). Same API, scoped by identity.
import { api, clearErrors, download, fmtDate, fmtDateTime, h, itemsOf, markField, setBusy, showAlert, showError } from "/static/js/api.js";
import { confirmAction } from "/static/js/confirm.js";
import { DOC_TYPES, LEGAL_FORMS, ROLES } from "/static/js/labels.js";

async function entityBlock(req) {
  if (!req.application_id) return null;
  try {
    const app = await api(`/api/entities/applications/${req.application_id}`);
    const e = app.entity || {};
    return h("div", {},
      h("p", { class: "fr-mb-1w" }, h("strong", {}, e.denomination || "Organisme sans dénomination"), e.siret ? ` — SIRET ${e.siret}` : " — sans SIRET",
        ` — ${e.kind === "ministry" ? "ministère" : LEGAL_FORMS[e.legal_form] || e.legal_form || ""}`),
      e.address ? h("p", { class: "fr-text--sm" }, [e.address.street, e.address.postal_code, e.address.city, e.address.country].filter(Boolean).join(", ")) : null,
      h("p", { class: "fr-text--sm" }, app.named_on_legal_proof ? "Le demandeur déclare figurer sur le justificatif d’existence légale." : "Le demandeur ne figure pas sur le justificatif : délégation de mandat requise."),
      h("ul", {}, (app.documents || []).map((p) => {
        const v = p.versions?.[0] || {};
        return h("li", {}, h("button", { class: "fr-btn fr-btn--tertiary-no-outline fr-btn--sm fr-icon-download-line fr-btn--icon-left", type: "button", onclick: () => download(v.download_url, v.filename) },
          `${DOC_TYPES[p.doc_type] ? p.label || DOC_TYPES[p.doc_type] : p.doc_type} — ${v.filename || ""}`), v.document_date ? ` (daté du ${fmtDate(v.document_date)})` : "");
      })),
    );
  } catch {
    return h("p", { class: "fr-text--sm" }, "Pièces de l’organisme indisponibles.");
  }
}

export async function accountRequests(box, { staff }) {
  let items;
  try {
    items = itemsOf(await api("/api/identity/account-requests?limit=100"));
  } catch (err) {
    box.replaceChildren();
    showError(box, err);
    return;
  }
  if (!items.length) return box.replaceChildren(h("p", {}, "Aucune demande en attente."));
  const cards = await Promise.all(items.map(async (r) => {
    const id = r.account_id;
    const form = h("form", { novalidate: true, class: "fr-mt-2w" },
      h("div", { class: "fr-input-group" }, h("label", { class: "fr-label", for: `reason-${id}` }, "Motif du refus", h("span", { class: "fr-hint-text" }, "Obligatoire pour refuser ; il est envoyé au demandeur.")),
        h("textarea", { class: "fr-input", id: `reason-${id}`, name: "reason", rows: 2 })),
      h("ul", { class: "fr-btns-group fr-btns-group--inline-sm" },
        h("li", {}, h("button", { class: "fr-btn", type: "submit", value: "approve" }, "Valider", h("span", { class: "fr-sr-only" }, ` la demande de ${r.first_name} ${r.last_name}`))),
        h("li", {}, h("button", { class: "fr-btn fr-btn--secondary", type: "submit", value: "reject" }, "Refuser", h("span", { class: "fr-sr-only" }, ` la demande de ${r.first_name} ${r.last_name}`)))));
    const card = h("article", { class: "fr-card fr-mb-3w", "data-account": r.email }, h("div", { class: "fr-card__body" }, h("div", { class: "fr-card__content" },
      h("h2", { class: "fr-card__title fr-h5" }, `${r.first_name} ${r.last_name}`),
      h("p", { class: "fr-card__desc" }, `${r.job_title} — ${r.email} — ${r.phone}`),
      h("p", { class: "fr-text--sm" }, `Demande déposée le ${fmtDateTime(r.application_submitted_at || r.created_at)}${r.new_entity ? " — nouvel organisme" : ""}`),
      staff ? await entityBlock(r) : null,
      form)));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form);
      const action = e.submitter?.value || "approve";
      const reason = form.reason.value.trim();
      if (action === "reject" && !reason) return markField(form.reason, "Indiquez le motif du refus."), form.reason.focus();
      const submitter = e.submitter;
      if (action === "approve") {
        const sure = await confirmAction({
          title: `Valider la demande de ${r.first_name} ${r.last_name} ?`,
          text: r.new_entity
            ? `${r.first_name} ${r.last_name} (${r.email}) deviendra gestionnaire du nouvel organisme, qui sera enregistré comme vérifié : avez-vous contrôlé ses pièces ?`
            : `${r.first_name} ${r.last_name} (${r.email}) pourra agir pour l’organisme : déposer et suivre ses dossiers.`,
          confirmLabel: "Valider la demande",
        });
        if (!sure) return;
      }
      setBusy(submitter, true, "…");
      try {
        await api(`/api/identity/account-requests/${id}/${action}`, { method: "POST", json: action === "reject" ? { reason } : {} });
        const done = h("div", { class: `fr-alert fr-alert--${action === "approve" ? "success" : "info"} fr-mb-3w`, role: "status" },
          h("p", {}, `La demande de ${r.first_name} ${r.last_name} est ${action === "approve" ? "validée" : "refusée"}. Un courriel l’en informe.`));
        card.replaceWith(done);
        const archive = document.getElementById("decided");
        if (archive) decidedRequests(archive);
      } catch (err) {
        setBusy(submitter, false);
        showError(form, err);
      }
    });
    return card;
  }));
  box.replaceChildren(...cards);
}

const DECISIONS = {
  active: ["Validée", "success"],
  disabled: ["Validée, compte désactivé depuis", "warning"],
  removed: ["Validée, membre retiré depuis", "warning"],
  rejected: ["Refusée", "error"],
};

/** The archive: the requests decided in the caller's scope, newest decision first. */
export async function decidedRequests(box) {
  let items;
  try {
    items = itemsOf(await api("/api/identity/account-requests?state=decided&limit=100"));
  } catch (err) {
    box.replaceChildren();
    showError(box, err);
    return;
  }
  if (!items.length) return box.replaceChildren(h("p", {}, "Aucune demande traitée."));
  box.replaceChildren(h("div", { class: "fr-table" }, h("table", { id: "decided-requests" },
    h("caption", {}, `${items.length} demande${items.length > 1 ? "s" : ""} traitée${items.length > 1 ? "s" : ""}`),
    h("thead", {}, h("tr", {}, ["Demandeur", "Décision", "Rôles", "Motif"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, items.map((r) => {
      const [label, kind] = DECISIONS[r.status] || [r.status, "info"];
      return h("tr", { "data-decided": r.email },
        h("td", {}, h("strong", {}, `${r.first_name} ${r.last_name}`), h("br"), h("span", { class: "fr-text--sm" }, r.email),
          // the SI administrator: the entity's page (its details and its managers)
          r.entity_id && location.pathname.startsWith("/back-office/") ? [h("br"), h("a", { class: "fr-link fr-text--sm", href: `/back-office/organismes/${r.entity_id}`, "data-entity-link": r.entity_id }, "Voir l’organisme")] : null),
        h("td", {}, h("p", { class: `fr-badge fr-badge--sm fr-badge--${kind} fr-badge--no-icon`, text: label }), h("span", { class: "fr-text--xs" }, ` le ${fmtDateTime(r.decided_at)}`)),
        h("td", {}, r.roles.map((x) => ROLES[x] || x).join(", ") || "—"),
        h("td", {}, r.decision_reason || "—"));
    })))));
}
