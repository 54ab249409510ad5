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

export const STATUSES = {
  draft: ["Brouillon", "info"],
  submitted: ["Déposé", "new"],
  completeness_check: ["Contrôle de complétude", "new"],
  incomplete: ["Incomplet : pièces demandées", "warning"],
  admissibility_check: ["Contrôle de recevabilité", "new"],
  inadmissible: ["Irrecevable", "error"],
  admissible: ["Recevable", "info"],
  in_instruction: ["En instruction", "info"],
  instruction: ["En instruction", "info"],
  awaiting_response: ["En attente de votre réponse", "warning"],
  information_requested: ["En attente de votre réponse", "warning"],
  ready_for_commission: ["Prêt pour la commission", "info"],
  on_agenda: ["Inscrit à l’ordre du jour", "info"],
  in_commission: ["En commission", "info"],
  favourable: ["Avis favorable", "success"],
  unfavourable: ["Avis défavorable", "error"],
  adjourned: ["Ajourné", "warning"],
  registered: ["Enregistré", "success"],
  refused: ["Refusé", "error"],
  abandoned: ["Abandonné", "error"],
  withdrawn: ["Retiré", "error"],
  admissibility_withdrawn: ["Recevabilité retirée", "error"],
  pending_activation: ["En attente d’activation", "info"],
  pending_validation: ["En attente de validation", "warning"],
  active: ["Actif", "success"],
  rejected: ["Refusé", "error"],
};

export function statusBadge(status, h) {
  const [label, kind] = STATUSES[status] || [status || "—", "info"];
  return h("p", { class: `fr-badge fr-badge--sm fr-badge--${kind} fr-badge--no-icon`, text: label });
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
