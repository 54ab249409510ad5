// French labels of the API's codes (DESIGN.md section 4 and the procedure's states).

export const DOC_TYPES = {
  legal_existence: "Justificatif d’existence légale (extrait Kbis, avis au Journal officiel, décret ou arrêté, accord de branche)",
  mandate_delegation: "Délégation de mandat de l’administrateur entité",
  activity_framework: "Référentiel d’activités",
  competence_framework: "Référentiel de compétences",
  assessment_framework: "Référentiel d’évaluation",
  criminal_record: "Bulletin n°3 du casier judiciaire du représentant légal",
  certificate_specimen: "Spécimen du parchemin",
  assessment_organisation: "Organisation et contrôle des évaluations",
  opportunity_note: "Note d’opportunité",
  support_letter: "Lettre de soutien",
  standards: "Normes réglementaires ou de marché",
  cpne_deliberation: "Délibération ou convention de la CPNE créant le CQP",
  cpne_mandate: "Mandat de la CPNE à l’organisme déposant",
  ip_transfer: "Cession de la propriété intellectuelle du CQP",
  organisation_presentation: "Présentation de l’organisme",
  validation_rules: "Modalités d’attribution de la certification",
  sector_studies: "Études sur le métier ou le secteur",
};

export const DATED_DOC_TYPES = ["criminal_record", "mandate_delegation", "cpne_mandate"];

// The states of a case (review's procedure) and of a filing, with their badge colour.
export const STATUSES = {
  draft: ["Brouillon", "info"],
  submitted: ["Déposée", "new"],
  received: ["Reçue", "new"],
  incomplete: ["Incomplète", "warning"],
  completeness_ok: ["Complète", "info"],
  inadmissible: ["Irrecevable", "error"],
  admissible: ["Recevable", "info"],
  under_instruction: ["En instruction", "info"],
  awaiting_complement: ["En attente de compléments", "warning"],
  ready_for_commission: ["Prête pour la commission", "info"],
  scheduled: ["Inscrite en commission", "info"],
  favourable: ["Avis favorable", "success"],
  unfavourable: ["Avis défavorable", "error"],
  adjourned: ["Ajournée", "warning"],
  awaiting_publication: ["En attente de publication au JO", "info"],
  suspended: ["Suspendue", "warning"],
  inadmissible_by_right: ["Irrecevable de plein droit", "error"],
  registered: ["Enregistrée", "success"],
  refused: ["Refusée", "error"],
  abandoned: ["Abandonnée", "error"],
  admissibility_withdrawn: ["Recevabilité retirée", "error"],
  withdrawn: ["Retirée", "error"],
  pending_activation: ["En attente d’activation", "info"],
  pending_validation: ["En attente de validation", "warning"],
  active: ["Actif", "success"],
  rejected: ["Refusé", "error"],
};

// What happened, for the timeline (review's audit actions; outcome from `to_state`).
export const ACTIONS = {
  open: "Demande reçue",
  completeness: "Contrôle de complétude",
  admissibility: "Contrôle de recevabilité",
  resubmit: "Demande déposée de nouveau",
  assign: "Affectation à un instructeur",
  request: "Demande de compléments",
  answer: "Compléments déposés",
  request_overdue: "Date limite d’une demande dépassée",
  ready: "Instruction terminée",
  abandon: "Demande déclarée abandonnée",
  schedule: "Inscription à l’ordre du jour",
  reschedule: "Déplacement vers une autre séance",
  correct_opinion: "Correction de l’avis de la commission",
  opinion: "Avis de la commission",
  improve: "Dossier amélioré déposé",
  return_to_commission: "Présentée de nouveau en commission",
  register: "Décision : enregistrement",
  refuse: "Décision : refus d’enregistrement",
  publish: "Publication au Journal officiel",
  suspend: "Suspension (informations erronées ou incomplètes)",
  resume: "Reprise de l’examen",
  declare_inadmissible: "Irrecevabilité de plein droit (fausse déclaration)",
  withdraw_admissibility: "Retrait de la recevabilité",
  withdraw: "Demande retirée par le déposant",
  withdrawal_refused: "Demande de retrait refusée (décision déjà prise)",
  submission_refused: "Dépôt non pris en compte (arrivé trop tard)",
  message: "Message",
  acknowledge: "Accusé de réception de la décision",
  consult: "Première consultation de la décision",
  notify: "Notification de la décision",
};

export const ACTOR_ROLES = {
  depositor: "Déposant",
  entity_manager: "Gestionnaire entité",
  reviewer: "Contrôle",
  instructor: "Instruction",
  commission: "Commission",
  director: "Direction",
  system: "Plateforme",
};

// The descriptive fields of a filing (review's completeness may name them as missing).
export const FILING_FIELDS = {
  title: "Intitulé",
  qualification_level: "Niveau de qualification",
  is_cqp: "Certificat de qualification professionnelle (CQP)",
  cqp_filed_by: "Déposant du CQP",
  rests_on_standards: "Certification reposant sur des normes",
  summary: "Résumé",
  activities: "Activités visées",
  competences: "Compétences attestées",
  competence_blocks: "Blocs de compétences",
  assessment_methods: "Modalités d’évaluation",
};

/** The French name of a piece or field code. */
export function itemLabel(code) {
  return DOC_TYPES[code] || FILING_FIELDS[code] || (code === "answer" ? "Réponse" : code);
}

export function statusBadge(status, h, label) {
  const [known, kind] = STATUSES[status] || [status || "—", "info"];
  return h("p", { class: `fr-badge fr-badge--sm fr-badge--${kind} fr-badge--no-icon`, text: label || known });
}

export const REPERTOIRES = { rncp: "RNCP", rs: "RS" };

export const ROLES = {
  si_admin: "Administrateur SI",
  reviewer: "Contrôle (complétude et recevabilité)",
  instructor: "Instruction",
  commission: "Commission",
  director: "Direction de la certification",
  depositor: "Déposant",
  entity_manager: "Gestionnaire entité",
};

export const OPINIONS = { favourable: "Favorable", unfavourable: "Défavorable", adjourned: "Ajourné" };

export const LEGAL_FORMS = {
  company: "Entreprise",
  association: "Association",
  public_establishment: "Établissement public (université, école publique…)",
  cpne: "CPNE (commission paritaire nationale de l’emploi)",
  other: "Autre",
};
