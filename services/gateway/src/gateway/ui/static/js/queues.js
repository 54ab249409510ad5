// The back office's work queues of each role: a name and the filters that make it (the
// queues page shows them as tags with their counts, the dashboard counts them).
export const QUEUES = [
  ["reviewer", "À contrôler", { status: "received,completeness_ok" }],
  ["reviewer", "À affecter", { status: "admissible" }],
  ["instructor", "Mes dossiers en instruction", { assignee: "me", status: "under_instruction,awaiting_complement" }],
  ["commission", "Pour la commission", { status: "ready_for_commission,scheduled" }],
  ["director", "À décider", { status: "favourable,unfavourable" }],
  ["director", "Décisions d’enregistrement de droit", { status: "completeness_ok", registration_type: "by_right" }],
  ["director", "Échéances dépassées", { overdue: "true" }],
];

/** The queues `roles` work on, as [name, URLSearchParams]. */
export function queuesOf(roles) {
  return QUEUES.filter(([role]) => roles.includes(role)).map(([, name, filters]) => [name, new URLSearchParams(filters)]);
}
