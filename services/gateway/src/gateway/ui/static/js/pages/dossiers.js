import { api, fmtDate, h, itemsOf, requireLogin, showError } from "/static/js/api.js";
import "/static/js/layout.js";
import { REPERTOIRES, statusBadge } from "/static/js/labels.js";

/** The registration number of a registered certification, filled in once review answers. */
function registration(filingId) {
  const span = h("p", { class: "fr-text--sm fr-mb-0", "data-registration": filingId });
  api(`/api/review/cases/${filingId}`).then((c) => {
    if (c.registration_number) span.textContent = `N° ${c.registration_number}`;
  }).catch(() => {});
  return span;
}

requireLogin();
const box = document.getElementById("filings");
try {
  const data = await api("/api/filings?limit=100");
  const items = itemsOf(data);
  if (!items.length) {
    box.replaceChildren(h("p", {}, "Vous n’avez pas encore de demande. ", h("a", { href: "/dossiers/nouveau" }, "Créer une demande d’enregistrement"), "."));
  } else {
    box.replaceChildren(
      h("div", { class: "fr-table" }, h("table", {},
        h("caption", {}, `Demandes de votre organisme (${data.total ?? items.length})`),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "N° de dossier"), h("th", { scope: "col" }, "Intitulé"), h("th", { scope: "col" }, "Répertoire"), h("th", { scope: "col" }, "État"), h("th", { scope: "col" }, "Échéance"), h("th", { scope: "col" }, "Mis à jour le"))),
        h("tbody", {}, items.map((f) => h("tr", { "data-filing": f.filing_id },
          h("td", { "data-reference": "" }, f.reference || "—"),
          h("td", {}, h("a", { href: `/dossiers/${f.filing_id}` }, f.title || "(sans intitulé)")),
          h("td", {}, REPERTOIRES[f.repertoire] || f.repertoire, f.qualification_level ? ` — niveau ${f.qualification_level}` : ""),
          h("td", {}, statusBadge(f.status === "submitted" && f.case_status ? f.case_status : f.status, h, f.procedure_status || undefined), f.case_status === "registered" ? registration(f.filing_id) : null),
          h("td", {}, f.due_date ? fmtDate(f.due_date) : "—"),
          h("td", {}, fmtDate(f.updated_at)),
        ))),
      )),
    );
  }
} catch (err) {
  box.replaceChildren();
  showError(box, err);
}
