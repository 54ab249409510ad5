// A case of the procedure (review: GET /api/review/cases/{filing_id}) shown to the
// depositor and to staff: open requests, opinion, decision, timeline.
import { api, ApiError, daysLeft, fmtDate, fmtDateTime, h } from "/static/js/api.js";
import { ACTIONS, ACTOR_ROLES, OPINIONS, STATUSES, itemLabel } from "/static/js/labels.js";

const stateLabel = (s) => (STATUSES[s] ? STATUSES[s][0] : s);

/** The case, or null while review has not opened it (a draft, or just submitted). */
export async function loadCase(id) {
  try {
    return await api(`/api/review/cases/${id}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

let criteriaCache = null;
/** The registration criteria by repertoire: {rncp: {code: label}, rs: {…}}. */
export async function criteria() {
  if (!criteriaCache) {
    criteriaCache = api("/api/review/criteria")
      .then((d) => d.criteria || {})
      .catch(() => ({}));
  }
  return criteriaCache;
}

export function criterionLabel(all, repertoire, code) {
  return all?.[repertoire]?.[code] || code;
}

function requestItems(items) {
  if (!items?.length) return null;
  return h("ul", {}, items.map((i) => h("li", {}, i.doc_type ? `Pièce : ${itemLabel(i.doc_type)}` : null, i.doc_type && i.question ? " — " : null, i.question || null)));
}

/** An open request of information: what is asked and until when. */
export function requestBox(r, { staff = false } = {}) {
  return h("div", { class: `fr-callout ${r.overdue ? "fr-callout--orange-terre-battue" : ""} fr-mb-3w`, "data-request": r.id },
    h("h3", { class: "fr-callout__title fr-h6" }, staff ? "Demande de compléments en cours" : "France compétences vous demande des compléments"),
    h("p", { class: "fr-callout__text" }, r.message || ""),
    requestItems(r.items),
    h("p", {}, h("strong", { class: "cr-due", title: r.due_explanation || null }, `Date limite : ${fmtDate(r.due_date)}`), ` (${r.overdue ? "dépassée" : daysLeft(r.due_date)})`),
    h("p", { class: "fr-text--sm fr-mb-0" }, `Demande du ${fmtDate(r.opened_at)}.`));
}

/** The director's decision: registration (number, period) or refusal (appeal). */
export function decisionBox(d, repertoire, all) {
  if (d.kind === "registered" && !d.jo_reference) {
    return h("div", { class: "fr-alert fr-alert--info fr-mb-3w", id: "decision" },
      h("h3", { class: "fr-alert__title" }, "Enregistrement décidé sous le numéro ", h("span", { id: "registration-number" }, d.registration_number)),
      h("p", {}, `Décision du ${fmtDate(d.decision_date)} : enregistrement pour ${d.years} an${d.years > 1 ? "s" : ""}, à compter de la date d’effet fixée à la publication de la décision au Journal officiel, attendue.`),
      d.motivation ? h("p", {}, d.motivation) : null);
  }
  if (d.kind === "registered") {
    return h("div", { class: "fr-alert fr-alert--success fr-mb-3w", id: "decision" },
      h("h3", { class: "fr-alert__title" }, "Certification enregistrée sous le numéro ", h("span", { id: "registration-number" }, d.registration_number)),
      h("p", {}, `Décision du ${fmtDate(d.decision_date)} : enregistrement pour ${d.years} an${d.years > 1 ? "s" : ""}, du ${fmtDate(d.registration_start)} au ${fmtDate(d.registration_end)}.`),
      h("p", { id: "jo-reference" }, `Publiée au Journal officiel du ${fmtDate(d.jo_date)} (${d.jo_reference}) ; date d’effet : ${fmtDate(d.effective_date)}.`),
      d.motivation ? h("p", {}, d.motivation) : null,
      h("p", {}, h("a", { class: "fr-link", href: `/registre/${encodeURIComponent(d.registration_number)}` }, `Voir la fiche ${d.registration_number} au registre public`)));
  }
  return h("div", { class: "fr-alert fr-alert--error fr-mb-3w", id: "decision" },
    h("h3", { class: "fr-alert__title" }, "Enregistrement refusé"),
    h("p", {}, `Décision du ${fmtDate(d.decision_date)}.`),
    d.motivation ? h("p", {}, d.motivation) : null,
    d.reasons?.length ? h("ul", {}, d.reasons.map((r) => h("li", {}, `${criterionLabel(all, repertoire, r.criterion)} : ${r.text}`))) : null,
    appealLine(d));
}

/** The contentious appeal: « dans un délai de deux mois à compter de sa notification », and
 * the last day once the notification fixed it, its reckoning on hover (legal calendar). */
function appealLine(d) {
  const a = d.appeal;
  if (!a) return null;
  const when = a.last_day
    ? h("span", { id: "appeal-deadline", title: a.explanation }, `dans un délai de deux mois à compter de sa notification, soit jusqu’au ${a.last_day.text} inclus`)
    : h("span", { id: "appeal-deadline", title: a.explanation }, a.wording);
  return h("p", {}, `Recours contentieux possible devant le ${d.appeal_court} `, when,
    ". Ni recours gracieux ni recours hiérarchique.",
    d.notification ? h("span", { class: "fr-text--sm", title: d.notification.explanation }, ` Décision notifiée le ${fmtDate(d.notification.date)}.`) : null);
}

/** The commission's latest opinion and its reasons against the criteria. */
export function opinionBox(o, repertoire, all) {
  return h("div", { class: "fr-callout fr-mb-3w", id: "opinion" },
    h("h3", { class: "fr-callout__title fr-h6" }, `Avis de la commission : ${OPINIONS[o.opinion] || o.opinion}`),
    h("p", { class: "fr-callout__text" }, o.session_date ? `Séance du ${fmtDate(o.session_date)}.` : ""),
    o.reasons?.length ? h("ul", {}, o.reasons.map((r) => h("li", {}, h("strong", {}, criterionLabel(all, repertoire, r.criterion)), ` : ${r.text}`))) : null,
    o.resubmission_due ? h("p", {}, h("strong", {}, `Dossier amélioré à déposer avant le ${fmtDate(o.resubmission_due)}`), ` (${daysLeft(o.resubmission_due)}).`) : null);
}

function detailsOf(e) {
  const d = e.details || {};
  const out = [];
  if (d.missing?.length) out.push(`Éléments manquants : ${d.missing.map(itemLabel).join(", ")}.`);
  if (d.recommendations) out.push(`Modifications recommandées : ${d.recommendations}`);
  if (d.due_date) out.push(`Date limite : ${fmtDate(d.due_date)}.`);
  if (d.session_date) out.push(`Séance du ${fmtDate(d.session_date)}.`);
  if (d.resubmission_due) out.push(`Dossier amélioré attendu avant le ${fmtDate(d.resubmission_due)}.`);
  if (d.registration_number) out.push(`Numéro d’enregistrement : ${d.registration_number}, jusqu’au ${fmtDate(d.registration_end)}.`);
  if (d.notified_on) out.push(`Notifiée le ${fmtDate(d.notified_on)}.`);
  if (d.appeal_deadline) out.push(`Recours contentieux possible jusqu’au ${fmtDate(d.appeal_deadline)} inclus.`);
  if (d.submission_round > 1) out.push(`Dépôt n°${d.submission_round}.`);
  return out;
}

/** Every transition of the case: when, who, what, why. */
export function timelineList(c) {
  const events = c.timeline || [];
  if (!events.length) return h("p", {}, "Aucun évènement pour l’instant.");
  return h("ol", { class: "cr-timeline", id: "timeline" }, events.map((e) => {
    const who = e.actor_role === "system" ? "Plateforme" : [ACTOR_ROLES[e.actor_role] || e.actor_role, e.actor_name].filter(Boolean).join(" — ");
    const moved = e.to_state && e.to_state !== e.from_state ? ` : ${stateLabel(e.to_state)}` : "";
    return h("li", { "data-action": e.action },
      h("p", { class: "fr-text--sm fr-mb-0" }, h("time", { datetime: e.at }, fmtDateTime(e.at)), who ? ` — ${who}` : ""),
      h("p", { class: "fr-mb-0" }, h("strong", {}, `${ACTIONS[e.action] || e.action}${moved}`)),
      // An opinion's reasons are shown with their criteria's names in the opinion box.
      e.reason && e.action !== "opinion" ? h("p", { class: "fr-text--sm fr-mb-0 cr-pre" }, e.reason) : null,
      ...detailsOf(e).map((t) => h("p", { class: "fr-text--sm fr-mb-0" }, t)));
  }));
}

/** The state of the case for its page: open requests, decision, opinion, timeline. */
export async function caseOverview(c, { staff = false, requests = true, decision = true } = {}) {
  const all = await criteria();
  const box = h("div", {});
  if (requests) for (const r of c.open_requests || []) box.append(requestBox(r, { staff }));
  if (decision && c.decision) box.append(decisionBox(c.decision, c.repertoire, all));
  if (c.opinion) box.append(opinionBox(c.opinion, c.repertoire, all));
  box.append(h("h3", { class: "fr-h5 fr-mt-3w" }, "Historique"), timelineList(c));
  return box;
}

