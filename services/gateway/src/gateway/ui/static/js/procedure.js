// The procedure's steps as a DSFR stepper (fr-stepper), for the top of a dossier's page on
// both sides: where the case stands, and what comes next.
import { h } from "/static/js/api.js";
import { STATUSES } from "/static/js/labels.js";

export const STEPS = [
  "Constitution du dossier",
  "Contrôle de complétude et de recevabilité",
  "Instruction",
  "Examen par la commission",
  "Décision",
];

const STEP_OF = {
  draft: 1,
  submitted: 2, received: 2, incomplete: 2, completeness_ok: 2, inadmissible: 2,
  admissible: 3, under_instruction: 3, awaiting_complement: 3, ready_for_commission: 3,
  scheduled: 4, favourable: 4, unfavourable: 4, adjourned: 4,
  awaiting_publication: 5, registered: 5, refused: 5,
}; // prettier-ignore

// A registration by right (the State's diplomas and titles of L.6113-5 I, its habilitations
// of L.6113-6): completeness, then the director general's decision, without the commission.
export const BY_RIGHT_STEPS = [
  "Constitution du dossier",
  "Contrôle de complétude",
  "Décision d’enregistrement",
];

const BY_RIGHT_STEP_OF = {
  draft: 1,
  submitted: 2, received: 2, incomplete: 2, completeness_ok: 2,
  awaiting_publication: 3, registered: 3,
}; // prettier-ignore

// States that end the procedure before a decision: the step is where it stood then.
const CLOSED = ["abandoned", "withdrawn", "inadmissible_by_right", "admissibility_withdrawn"];

/** The step (1…5, 1…3 by right) of `status`; a suspended or closed case is shown at the step it stood at. */
export function stepOf(status, timeline = [], byRight = false) {
  const of = byRight ? BY_RIGHT_STEP_OF : STEP_OF;
  if (of[status]) return of[status];
  for (const e of [...timeline].reverse()) if (of[e.from_state]) return of[e.from_state];
  return 2;
}

/** The stepper: `status` is the case's state (or "draft"), `label` its French name; `byRight`
 * shows the shortened path of a registration by right. */
export function stepper(status, { timeline = [], label, byRight = false } = {}) {
  const steps = byRight ? BY_RIGHT_STEPS : STEPS;
  const current = stepOf(status, timeline, byRight);
  const closed = CLOSED.includes(status) || ["registered", "refused"].includes(status);
  const name = label || (STATUSES[status] ? STATUSES[status][0] : status);
  const next = !closed && current < steps.length ? steps[current] : null;
  return h("div", { class: "fr-stepper fr-mb-3w", id: "procedure-stepper", "data-path": byRight ? "by_right" : "on_request" },
    h("h2", { class: "fr-stepper__title" }, steps[current - 1],
      h("span", { class: "fr-stepper__state" }, `Étape ${current} sur ${steps.length} — ${name}`)),
    h("div", { class: "fr-stepper__steps", "data-fr-current-step": String(current), "data-fr-steps": String(steps.length) }),
    next ? h("p", { class: "fr-stepper__details" }, h("span", { class: "fr-text--bold" }, "Étape suivante : "), next)
      : h("p", { class: "fr-stepper__details" }, h("span", { class: "fr-text--bold" }, closed ? "Procédure terminée." : "")));
}

/** A summary as a description list: [[label, value]…], the empty values left out. */
export function summary(id, rows) {
  return h("dl", { class: "fr-grid-row fr-grid-row--gutters fr-mb-3w cr-summary", id },
    rows.filter(([, v]) => v !== null && v !== undefined && v !== "").map(([k, v]) =>
      h("div", { class: "fr-col-12 fr-col-sm-6 fr-col-lg-4" }, h("dt", { class: "fr-text--sm fr-mb-0" }, k), h("dd", { class: "fr-text--bold fr-ml-0 fr-mb-0" }, v))));
}
