// A published certification of the public registry (GET /api/review/registry/{number}).
import { api, fmtDate, h, pathId, setTitle, showError } from "/static/js/api.js";
import "/static/js/layout.js";
import { REPERTOIRES } from "/static/js/labels.js";

const box = document.getElementById("record");
const number = pathId();
const list = (title, items) => (items?.length ? [h("h2", { class: "fr-h4 fr-mt-4w" }, title), h("ul", {}, items.map((i) => h("li", {}, i)))] : []);
try {
  const c = await api(`/api/review/registry/${encodeURIComponent(number)}`, { auth: false });
  setTitle(`${c.number} — ${c.title}`);
  document.getElementById("crumb").textContent = c.number;
  const f = c.frameworks || {};
  const row = (label, value) => (value ? [h("dt", { class: "fr-text--bold" }, label), h("dd", { class: "fr-ml-0 fr-mb-1w" }, value)] : []);
  box.replaceChildren(
    h("h1", {}, `${c.number} — ${c.title}`),
    h("p", {}, h("span", { class: `fr-badge fr-badge--${c.status === "active" ? "success" : "info"} fr-badge--no-icon` }, c.status === "active" ? "Enregistrée" : "Enregistrement échu")),
    h("dl", {},
      ...row("Répertoire", `${REPERTOIRES[c.repertoire] || c.repertoire}${c.qualification_level ? ` — niveau ${c.qualification_level}` : ""}${c.is_cqp ? " — certificat de qualification professionnelle" : ""}`),
      ...row("Certificateur", [c.certifier?.name, c.certifier?.siret ? `SIRET ${c.certifier.siret}` : null].filter(Boolean).join(" — ") || "—"),
      ...row("Date de décision", fmtDate(c.decision_date)),
      ...row("Période d’enregistrement", `du ${fmtDate(c.registration_start)} au ${fmtDate(c.registration_end)}`)),
    c.summary ? h("p", { class: "cr-pre" }, c.summary) : "",
    ...list("Activités visées", f.activities),
    ...list("Compétences attestées", f.competences),
    ...(f.competence_blocks?.length
      ? [h("h2", { class: "fr-h4 fr-mt-4w" }, "Blocs de compétences"), ...f.competence_blocks.map((b) => h("div", { class: "fr-mb-2w" },
          h("h3", { class: "fr-h6 fr-mb-1w" }, `${b.code} — ${b.title}`), b.competences?.length ? h("ul", {}, b.competences.map((x) => h("li", {}, x))) : ""))]
      : []),
    ...list("Modalités d’évaluation", f.assessment_methods),
  );
} catch (err) {
  box.replaceChildren(h("h1", {}, "Fiche de certification"));
  showError(box, err);
}
