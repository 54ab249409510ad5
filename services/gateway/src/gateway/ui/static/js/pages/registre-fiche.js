import { api, fmtDate, h, pathId, setTitle, showError } from "/static/js/api.js";
import "/static/js/layout.js";
import { REPERTOIRES } from "/static/js/labels.js";

const box = document.getElementById("record");
const number = pathId();
const list = (title, items) => (items?.length ? [h("h2", { class: "fr-h4" }, title), h("ul", {}, items.map((i) => h("li", {}, typeof i === "string" ? i : `${i.code ? i.code + " — " : ""}${i.title || i.label || ""}`)))] : []);
try {
  const c = await api(`/api/review/registry/${encodeURIComponent(number)}`, { auth: false });
  setTitle(`${c.number} — ${c.title}`);
  document.getElementById("crumb").textContent = c.number;
  box.replaceChildren(
    h("h1", {}, `${c.number} — ${c.title}`),
    h("p", {}, h("span", { class: "fr-badge fr-badge--success fr-badge--no-icon" }, "Enregistrée"), ` ${REPERTOIRES[c.repertoire] || c.repertoire}${c.qualification_level ? ` — niveau ${c.qualification_level}` : ""}`),
    h("dl", {},
      h("dt", {}, "Certificateur"), h("dd", {}, c.certifier || c.entity_name || "—"),
      h("dt", {}, "Période d’enregistrement"), h("dd", {}, `du ${fmtDate(c.registered_on || c.starts_on || c.valid_from)} au ${fmtDate(c.valid_until || c.ends_on)}`),
      h("dt", {}, "Décision"), h("dd", {}, c.decision_reference || c.journal_officiel || c.publication_reference || "—")),
    c.summary ? h("p", {}, c.summary) : "",
    ...list("Activités visées", c.activities),
    ...list("Compétences attestées", c.competences),
    ...list("Blocs de compétences", c.competence_blocks),
    ...list("Modalités d’évaluation", c.assessment_methods),
  );
} catch (err) {
  box.replaceChildren(h("h1", {}, "Fiche de certification"));
  showError(box, err);
}
