// Commission sessions: create, put ready cases on the agenda, give opinions.
import { api, clearErrors, fmtDate, h, itemsOf, markField, requireLogin, setBusy, showAlert, showError, todayIso } from "/static/js/api.js";
import "/static/js/layout.js";
import { OPINIONS } from "/static/js/labels.js";

const user = requireLogin();
const box = document.getElementById("sessions");
const canAct = user.roles.includes("commission");

async function render() {
  let sessions = [];
  let ready = [];
  try {
    sessions = itemsOf(await api("/api/review/sessions"));
  } catch { /* listed below as none */ }
  try {
    ready = itemsOf(await api("/api/review/cases?status=ready_for_commission&limit=100"));
  } catch { /* none */ }
  const create = h("form", { novalidate: true, class: "fr-mb-4w" }, h("h2", {}, "Nouvelle séance"),
    h("div", { class: "fr-input-group" }, h("label", { class: "fr-label", for: "session-date" }, "Date de la séance", h("span", { class: "fr-hint-text" }, "La commission se réunit environ une fois par mois, pas en août.")), h("input", { class: "fr-input", type: "date", id: "session-date", name: "date", min: todayIso() })),
    h("button", { class: "fr-btn", type: "submit" }, "Créer la séance"));
  create.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(create);
    if (!create.date.value) return markField(create.date, "Indiquez la date de la séance."), create.date.focus();
    try {
      await api("/api/review/sessions", { method: "POST", json: { date: create.date.value } });
      await render();
    } catch (err) {
      showError(create, err);
    }
  });
  const blocks = sessions.map((s) => {
    const sid = s.session_id || s.id;
    const agenda = s.agenda || s.items || [];
    const add = h("form", { novalidate: true, class: "fr-mb-2w" },
      h("div", { class: "fr-select-group" }, h("label", { class: "fr-label", for: `add-${sid}` }, "Inscrire un dossier prêt"),
        h("select", { class: "fr-select", id: `add-${sid}`, name: "filing_id" }, h("option", { value: "" }, "Sélectionnez un dossier"), ready.map((c) => h("option", { value: c.filing_id }, c.title)))),
      h("button", { class: "fr-btn fr-btn--secondary fr-btn--sm", type: "submit" }, "Inscrire à l’ordre du jour"));
    add.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(add);
      if (!add.filing_id.value) return markField(add.filing_id, "Choisissez un dossier."), add.filing_id.focus();
      try {
        await api(`/api/review/sessions/${sid}/agenda`, { method: "POST", json: { filing_id: add.filing_id.value } });
        await render();
      } catch (err) {
        showError(add, err);
      }
    });
    const rows = agenda.map((a) => {
      const fid = a.filing_id;
      const form = h("form", { novalidate: true, class: "fr-mt-1w" },
        h("fieldset", { class: "fr-fieldset", "aria-labelledby": `op-${sid}-${fid}`, "data-field": "opinion" }, h("legend", { class: "fr-fieldset__legend fr-text--md", id: `op-${sid}-${fid}` }, `Avis sur « ${a.title || fid} »`),
          Object.entries(OPINIONS).map(([v, t], i) => h("div", { class: "fr-fieldset__element fr-fieldset__element--inline" }, h("div", { class: "fr-radio-group" }, h("input", { type: "radio", id: `op-${sid}-${fid}-${v}`, name: "opinion", value: v, checked: i === 0 }), h("label", { class: "fr-label", for: `op-${sid}-${fid}-${v}` }, t))))),
        h("div", { class: "fr-input-group" }, h("label", { class: "fr-label", for: `reasons-${sid}-${fid}` }, "Motifs (un par ligne : critère — texte)"), h("textarea", { class: "fr-input", id: `reasons-${sid}-${fid}`, name: "reasons", rows: 3 })),
        h("div", { class: "fr-input-group" }, h("label", { class: "fr-label", for: `due-${sid}-${fid}` }, "Échéance du dossier amélioré (si ajourné)"), h("input", { class: "fr-input", type: "date", id: `due-${sid}-${fid}`, name: "resubmission_due" })),
        h("button", { class: "fr-btn fr-btn--sm", type: "submit" }, "Enregistrer l’avis"));
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        clearErrors(form);
        const opinion = form.querySelector("input[name=opinion]:checked").value;
        const reasons = form.reasons.value.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
          const [criterion, ...rest] = l.split(/\s+[—-]\s+/);
          return rest.length ? { criterion: criterion.trim(), text: rest.join(" — ").trim() } : { criterion: "general", text: l };
        });
        if (opinion === "adjourned" && !form.resubmission_due.value) return markField(form.resubmission_due, "Indiquez l’échéance du dossier amélioré."), form.resubmission_due.focus();
        try {
          await api(`/api/review/sessions/${sid}/opinions`, { method: "POST", json: { filing_id: fid, opinion, reasons, ...(form.resubmission_due.value ? { resubmission_due: form.resubmission_due.value } : {}) } });
          await render();
          showAlert(box, "L’avis est enregistré.", { title: "Avis enregistré", type: "success" });
        } catch (err) {
          showError(form, err);
        }
      });
      return h("li", { class: "fr-mb-3w" }, h("a", { href: `/back-office/dossiers/${fid}` }, a.title || fid), a.opinion ? ` — avis : ${OPINIONS[a.opinion] || a.opinion}` : "", !a.opinion && canAct ? form : "");
    });
    return h("section", { class: "fr-mb-5w" }, h("h2", {}, `Séance du ${fmtDate(s.date)}`),
      rows.length ? h("ol", {}, rows) : h("p", {}, "Ordre du jour vide."), canAct ? add : "");
  });
  box.replaceChildren(...(canAct ? [create] : []), ...(blocks.length ? blocks : [h("p", {}, "Aucune séance programmée.")]));
}
render();
