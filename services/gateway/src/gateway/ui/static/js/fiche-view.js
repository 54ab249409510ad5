// The public fiche of a certification, as the registry publishes it (registre-fiche) and as
// a filing previews it before publication (dossier, back office): one rendering for both.
import { fmtDate, h } from "/static/js/api.js";
import { REPERTOIRES } from "/static/js/labels.js";

export const ROUTES = [
  ["initial_training", "Après un parcours de formation sous statut d’élève ou d’étudiant"],
  ["continuing_training", "Après un parcours de formation continue"],
  ["apprenticeship", "En contrat d’apprentissage"],
  ["professionalisation", "En contrat de professionnalisation"],
  ["individual_application", "Par candidature individuelle"],
  ["vae", "Par expérience (VAE)"],
];
export const ROUTE_LABELS = Object.fromEntries(ROUTES);
export const BASIS_LABELS = {
  "L6113-5": "Diplôme ou titre à finalité professionnelle de l’État (article L.6113-5 I)",
  "L6113-6": "Habilitation de l’État (article L.6113-6)",
};

const heading = (title) => h("h2", { class: "fr-h4 fr-mt-4w" }, title);
const list = (title, items) => (items?.length ? [heading(title), h("ul", {}, items.map((i) => h("li", {}, i)))] : []);
const text = (title, value) => (value ? [heading(title), h("p", { class: "cr-pre" }, value)] : []);
const row = (label, value) => (value ? [h("dt", { class: "fr-text--bold" }, label), h("dd", { class: "fr-ml-0 fr-mb-1w" }, value)] : []);

/**
 * The fiche's nodes. `c` has the public record's shape (GET /api/review/registry/{number}):
 * number, title, repertoire, qualification_level, is_cqp, status, certifier, decision_date,
 * registration_start/end, summary, frameworks, fiche (with nsf / rome as [{code, label}]).
 * `preview` replaces what only the registration gives (number, dates, status).
 */
export function ficheView(c, { preview = false } = {}) {
  const f = c.frameworks || {};
  const fiche = c.fiche || {};
  const certifiers = fiche.certifiers?.length
    ? fiche.certifiers.map((x) => `${x.name} — SIRET ${x.siret}`)
    : [[c.certifier?.name, c.certifier?.siret ? `SIRET ${c.certifier.siret}` : null].filter(Boolean).join(" — ") || "—"];
  const status = preview
    ? h("span", { class: "fr-badge fr-badge--new fr-badge--no-icon" }, "Aperçu — non publié")
    : h("span", { class: `fr-badge fr-badge--${c.status === "active" ? "success" : "info"} fr-badge--no-icon` }, c.status === "active" ? "Enregistrée" : "Enregistrement échu");
  const codes = (items) => (items || []).map((x) => (x.label ? `${x.code} — ${x.label}` : x.code));
  return [
    preview ? h("p", { class: "fr-h3" }, `${c.number} — ${c.title}`) : h("h1", {}, `${c.number} — ${c.title}`),
    h("p", {}, status),
    h("dl", {},
      ...row("Répertoire", `${REPERTOIRES[c.repertoire] || c.repertoire}${c.qualification_level ? ` — niveau ${c.qualification_level}` : ""}${c.is_cqp ? " — certificat de qualification professionnelle" : ""}`),
      ...row("Type d’enregistrement", fiche.registration_type === "by_right" ? `Enregistrement de droit — ${BASIS_LABELS[fiche.by_right_basis] || ""}` : "Enregistrement sur demande"),
      ...row(certifiers.length > 1 ? "Certificateurs" : "Certificateur", certifiers.length > 1 ? h("ul", {}, certifiers.map((x) => h("li", {}, x))) : certifiers[0]),
      ...row("Certifications précédentes", (fiche.former_numbers || []).join(", ")),
      ...row("Date de décision", preview ? "à la décision" : fmtDate(c.decision_date)),
      ...row("Période d’enregistrement", preview ? "à la décision" : `du ${fmtDate(c.registration_start)} au ${fmtDate(c.registration_end)}`)),
    ...text("Objectifs et contexte de la certification", c.summary),
    ...list("Activités visées", f.activities),
    ...list("Compétences attestées", f.competences),
    ...(f.competence_blocks?.length
      ? [heading("Blocs de compétences"), ...f.competence_blocks.map((b) => h("div", { class: "fr-mb-2w", "data-block": b.code },
          h("h3", { class: "fr-h6 fr-mb-1w" }, `${b.code} — ${b.title}`),
          b.competences?.length ? h("ul", {}, b.competences.map((x) => h("li", {}, x))) : "",
          b.assessment_methods?.length ? [h("p", { class: "fr-text--bold fr-mb-0" }, "Modalités d’évaluation"), h("ul", {}, b.assessment_methods.map((x) => h("li", {}, x)))] : ""))]
      : []),
    ...list("Modalités d’évaluation", f.assessment_methods),
    ...list("Secteurs d’activité", fiche.sectors),
    ...list("Types d’emplois accessibles", fiche.job_types),
    ...list("Codes ROME", codes(fiche.rome)),
    ...list("Codes NSF", codes(fiche.nsf)),
    ...text("Réglementation de l’activité", fiche.regulation),
    ...text("Prérequis à l’entrée en formation", fiche.prerequisites),
    ...(fiche.access_routes?.length
      ? [heading("Voies d’accès"), h("div", { class: "fr-table" }, h("table", {},
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Voie d’accès"), h("th", { scope: "col" }, "Ouverte"), h("th", { scope: "col" }, "Composition du jury"))),
          h("tbody", {}, ROUTES.map(([route, label]) => {
            const open = fiche.access_routes.find((r) => r.route === route);
            return h("tr", {}, h("td", {}, label), h("td", {}, open ? "Oui" : "Non"), h("td", { class: "cr-pre" }, open?.jury || ""));
          }))))]
      : []),
    ...list("Équivalences et correspondances", (fiche.equivalences || []).map((e) => [e.number, e.label].filter(Boolean).join(" — "))),
    ...(fiche.statistics?.length
      ? [heading("Statistiques des promotions"), h("div", { class: "fr-table" }, h("table", {},
          h("thead", {}, h("tr", {}, ["Année", "Certifiés", "dont par VAE", "Taux d’insertion global à 6 mois", "Taux d’insertion dans le métier à 2 ans"].map((x) => h("th", { scope: "col" }, x)))),
          h("tbody", {}, fiche.statistics.map((s) => h("tr", {}, [s.year, s.certified, s.certified_by_vae, s.employed_6_months_rate, s.employed_in_job_2_years_rate]
            .map((v, i) => h("td", {}, v == null ? "—" : i >= 3 ? `${v} %` : String(v))))))))]
      : []),
  ];
}

/** The public record a filing will become, from the filing (GET /api/filings/{id}). */
export function filingAsRecord(filing) {
  const fiche = filing.fiche || {};
  const labels = filing.code_labels || {};
  const filer = (fiche.certifiers || []).find((x) => x.filer);
  return {
    number: filing.repertoire === "rs" ? "RS…" : "RNCP…",
    title: filing.title,
    repertoire: filing.repertoire,
    qualification_level: filing.qualification_level,
    is_cqp: filing.is_cqp,
    certifier: filer ? { name: filer.name, siret: filer.siret } : null,
    summary: filing.summary,
    frameworks: {
      activities: filing.activities,
      competences: filing.competences,
      competence_blocks: filing.competence_blocks,
      assessment_methods: filing.assessment_methods,
    },
    fiche: {
      ...fiche,
      nsf: (fiche.nsf_codes || []).map((code) => ({ code, label: labels.nsf?.[code] || "" })),
      rome: (fiche.rome_codes || []).map((code) => ({ code, label: labels.rome?.[code] || "" })),
    },
  };
}
