// Commission sessions: create one (not in August, not in the past), put the cases ready
// for the commission on its agenda, give an opinion on each once the session is held.
import { api, clearErrors, fmtDate, h, itemsOf, markField, requireLogin, setBusy, showAlert, showError, parisToday } from "/static/js/api.js";
import "/static/js/layout.js";
import { criteria, criterionLabel } from "/static/js/case.js";
import { OPINIONS, REPERTOIRES, statusBadge } from "/static/js/labels.js";
import { opinionForm } from "/static/js/opinion.js";

const user = requireLogin();
const box = document.getElementById("sessions");
const canAct = user.roles.includes("commission");

function createForm() {
  const form = h("form", { novalidate: true, class: "fr-mb-6w", id: "session-form" }, h("h2", {}, "Nouvelle séance"),
    h("div", { class: "fr-input-group" },
      h("label", { class: "fr-label", for: "session-date" }, "Date de la séance", h("span", { class: "fr-hint-text" }, "Aujourd’hui ou plus tard ; la commission ne siège pas en août.")),
      h("input", { class: "fr-input", type: "date", id: "session-date", name: "date", min: parisToday() })),
    h("button", { class: "fr-btn", type: "submit" }, "Créer la séance"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const date = form.date.value;
    if (!date) return markField(form.date, "Indiquez la date de la séance."), form.date.focus();
    if (date.slice(5, 7) === "08") return markField(form.date, "La commission ne siège pas en août."), form.date.focus();
    const button = form.querySelector("button");
    setBusy(button, true, "Création…");
    try {
      await api("/api/review/sessions", { method: "POST", json: { date } });
      await render();
      showAlert(box, `La séance du ${fmtDate(date)} est créée.`, { title: "Séance créée", type: "success" });
    } catch (err) {
      setBusy(button, false);
      showError(form, err);
    }
  });
  return form;
}

function agendaForm(session, ready) {
  const sid = session.id;
  const form = h("form", { novalidate: true, class: "fr-mt-2w", "data-agenda": sid },
    h("div", { class: "fr-select-group" }, h("label", { class: "fr-label", for: `add-${sid}` }, "Inscrire un dossier prêt pour la commission"),
      h("select", { class: "fr-select", id: `add-${sid}`, name: "filing_id" }, h("option", { value: "" }, ready.length ? "Choisissez un dossier" : "Aucun dossier prêt"),
        ready.map((c) => h("option", { value: c.filing_id }, `${c.reference ? `N° ${c.reference} — ` : ""}${c.title} (${REPERTOIRES[c.repertoire] || c.repertoire})`)))),
    h("button", { class: "fr-btn fr-btn--secondary fr-btn--sm", type: "submit" }, "Inscrire à l’ordre du jour"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    if (!form.filing_id.value) return markField(form.filing_id, "Choisissez un dossier."), form.filing_id.focus();
    try {
      await api(`/api/review/sessions/${sid}/agenda`, { method: "POST", json: { filing_id: form.filing_id.value } });
      await render();
      showAlert(box, `Le dossier est inscrit à l’ordre du jour de la séance du ${fmtDate(session.date)}.`, { title: "Dossier inscrit", type: "success" });
    } catch (err) {
      showError(form, err);
    }
  });
  return form;
}

function agendaItem(session, item, all) {
  const o = item.opinion;
  const held = session.date <= parisToday();
  const li = h("li", { class: "fr-mb-3w", "data-filing": item.filing_id },
    h("p", { class: "fr-mb-1w" }, item.reference ? h("span", { "data-reference": "" }, `N° ${item.reference} — `) : null, h("a", { href: `/back-office/dossiers/${item.filing_id}` }, item.title), ` — ${REPERTOIRES[item.repertoire] || item.repertoire}${item.qualification_level ? ` niveau ${item.qualification_level}` : ""} `, statusBadge(item.status, h, item.status_label)));
  if (o) {
    li.append(h("p", { class: "fr-mb-0" }, h("strong", {}, `Avis : ${OPINIONS[o.opinion] || o.opinion}`), o.resubmission_due ? ` — dossier amélioré avant le ${fmtDate(o.resubmission_due)}` : ""),
      o.reasons?.length ? h("ul", {}, o.reasons.map((r) => h("li", {}, `${criterionLabel(all, item.repertoire, r.criterion)} : ${r.text}`))) : "",
      canAct && item.status === o.opinion ? h("p", { class: "fr-text--sm" }, h("a", { href: `/back-office/dossiers/${item.filing_id}#h-actions` }, "Corriger l’avis avant la décision")) : "");
  } else if (canAct && item.status === "scheduled") {
    // The session's date is checked by review on its own clock; here only a hint.
    if (!held) li.append(h("p", { class: "fr-text--sm" }, `La séance n’a pas encore eu lieu : l’avis pourra être rendu à partir du ${fmtDate(session.date)}.`));
    li.append(opinionForm(item, session.id, item.criteria || all[item.repertoire] || {}, async () => {
      await render();
      showAlert(box, `L’avis sur « ${item.title} » est enregistré.`, { title: "Avis enregistré", type: "success" });
    }));
  }
  return li;
}

async function sessionBlock(session, ready, all) {
  let agenda = [];
  try {
    agenda = itemsOf(await api(`/api/review/sessions/${session.id}/agenda`));
  } catch { /* shown as empty */ }
  const upcoming = session.date >= parisToday();
  return h("section", { class: "fr-mb-6w", "data-session": session.date, "aria-labelledby": `s-${session.id}` },
    h("h3", { id: `s-${session.id}` }, `Séance du ${fmtDate(session.date)}`),
    h("p", { class: "fr-text--sm" }, `${agenda.length} dossier${agenda.length > 1 ? "s" : ""} à l’ordre du jour.`),
    agenda.length ? h("ol", {}, agenda.map((item) => agendaItem(session, item, all))) : h("p", {}, "Ordre du jour vide."),
    // A session examines a case once: an improved dossier goes to another session.
    canAct && upcoming ? agendaForm(session, ready.filter((c) => !agenda.some((item) => item.filing_id === c.filing_id))) : "");
}

async function render() {
  let sessions = [];
  let ready = [];
  try {
    sessions = itemsOf(await api("/api/review/sessions?limit=200"));
  } catch (err) {
    box.replaceChildren();
    return showError(box, err);
  }
  if (canAct) ready = itemsOf(await api("/api/review/cases?status=ready_for_commission&limit=200").catch(() => ({ items: [] })));
  const all = await criteria();
  const today = parisToday();
  const upcoming = sessions.filter((s) => s.date >= today);
  const past = sessions.filter((s) => s.date < today).reverse();
  box.replaceChildren(
    ...(canAct ? [createForm()] : []),
    h("h2", {}, "Séances à venir"),
    ...(upcoming.length ? await Promise.all(upcoming.map((s) => sessionBlock(s, ready, all))) : [h("p", {}, "Aucune séance programmée.")]),
    ...(past.length ? [h("h2", {}, "Séances passées"), ...(await Promise.all(past.map((s) => sessionBlock(s, ready, all))))] : []),
  );
}
render();
