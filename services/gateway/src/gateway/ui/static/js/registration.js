// A registered dossier's own sections, for its certifier (issue 14): the registration and its
// renewal (filed as a new request, from the platform's window before the end date), and the
// certification's partner organisations (added and removed at any time while registered).
// Its own module: the dossier page only calls registrationSections(filing) and renewalNote(filing).
import { actionDone, api, clearErrors, fmtDate, fmtDateTime, h, intentKey, markField, setBusy, showError, parisToday } from "/static/js/api.js";
import { confirmAction } from "/static/js/confirm.js";
import { normaliseSiret, siretProblem } from "/static/js/siret.js";

const SCOPES = {
  preparation: "Préparation à la certification",
  assessment: "Organisation des épreuves d’évaluation",
  both: "Préparation et organisation des épreuves",
};

function section(id, title, ...children) {
  return h("section", { class: "fr-mt-6w", id, "aria-labelledby": `h-${id}` }, h("h2", { id: `h-${id}` }, title), ...children);
}

/** On a renewal's page: the registration it renews. */
export function renewalNote(filing) {
  if (!filing.renews) return null;
  return h("p", { class: "fr-badge fr-badge--new fr-badge--no-icon fr-mb-2w", id: "renews" },
    "Demande de renouvellement de ", h("a", { href: `/registre/${encodeURIComponent(filing.renews)}` }, filing.renews));
}

/** The registration and its renewal, then the partner organisations. */
export async function registrationSections(filing) {
  const reg = filing.registration;
  if (!reg) return [];
  return [renewalSection(filing, reg), await partnersSection(reg.number)];
}

function renewalSection(filing, reg) {
  // The platform's clock decides (renewal_state), not the browser's.
  const box = section("renouvellement", "Enregistrement et renouvellement",
    h("p", {}, "Certification enregistrée sous le numéro ", h("a", { href: `/registre/${encodeURIComponent(reg.number)}` }, reg.number),
      reg.start && reg.end ? ` du ${fmtDate(reg.start)} au ${fmtDate(reg.end)}.` : "."));
  if (reg.renewal_id) {
    box.append(h("p", {}, h("a", { class: "fr-link", id: "renewal-link", href: `/dossiers/${reg.renewal_id}` }, "Voir la demande de renouvellement")));
  } else if (reg.renewal_state === "ended") {
    box.append(h("p", {}, "L’enregistrement a pris fin : une nouvelle demande d’enregistrement est nécessaire."));
  } else if (reg.renewal_state !== "open") {
    box.append(h("p", { id: "renewal-opens" }, `Le renouvellement pourra être déposé à partir du ${fmtDate(reg.renewal_opens_on)}. France compétences demande de le déposer au moins 7 mois avant la fin de l’enregistrement.`));
  } else {
    const start = h("button", { class: "fr-btn", type: "button", id: "start-renewal" }, "Préparer le renouvellement");
    start.addEventListener("click", async () => {
      const ok = await confirmAction({
        title: "Préparer la demande de renouvellement ?",
        text: `Une nouvelle demande, préremplie à partir de la fiche enregistrée de ${reg.number}, est créée en brouillon. Les pièces sont à déposer de nouveau.`,
        confirmLabel: "Créer la demande de renouvellement",
      });
      if (!ok) return;
      setBusy(start, true, "Création…");
      try {
        const renewal = await api(`/api/filings/${filing.filing_id}/renewal`, { method: "POST", idempotencyKey: intentKey(`renew-${filing.filing_id}`) });
        actionDone(`renew-${filing.filing_id}`);
        location.assign(`/dossiers/${renewal.filing_id}`);
      } catch (err) {
        setBusy(start, false);
        showError(box, err);
      }
    });
    box.append(h("p", {}, "La demande de renouvellement est une nouvelle demande, qui nomme la certification qu’elle renouvelle. Déposez-la au moins 7 mois avant la fin de l’enregistrement."), start);
  }
  return box;
}

async function partnersSection(number) {
  const box = section("partenaires", "Organismes partenaires");
  await fillPartners(box, number);
  return box;
}

async function fillPartners(box, number, notice) {
  const title = box.querySelector("h2");
  let record;
  try {
    record = await api(`/api/review/registry/${encodeURIComponent(number)}`, { auth: false });
  } catch (err) {
    box.replaceChildren(title);
    showError(box, err);
    return;
  }
  const partners = record.partners || [];
  const rows = partners.map((p) => {
    const cells = [
      h("td", {}, p.name), h("td", {}, p.siret), h("td", {}, SCOPES[p.scope] || p.scope_label),
      h("td", {}, fmtDate(p.since)), h("td", {}, p.until ? fmtDate(p.until) : "—"),
      h("td", {}, h("span", { class: `fr-badge fr-badge--sm fr-badge--no-icon fr-badge--${p.state === "active" ? "success" : "info"}` }, p.state === "active" ? "Habilité" : "Retiré")),
    ];
    const action = h("td", {});
    if (p.state === "active" && record.status === "active") {
      const remove = h("button", { class: "fr-btn fr-btn--sm fr-btn--tertiary", type: "button", "data-remove": p.siret }, "Retirer");
      remove.addEventListener("click", () => removePartner(box, number, p, remove));
      action.append(remove);
    }
    return h("tr", { "data-siret": p.siret, "data-state": p.state }, ...cells, action);
  });
  const table = partners.length
    ? h("div", { class: "fr-table" }, h("table", { id: "partners-table" },
        h("caption", { class: "fr-sr-only" }, "Organismes partenaires de la certification"),
        h("thead", {}, h("tr", {}, ...["Organisme", "SIRET", "Habilitation", "Depuis le", "Jusqu’au", "État", ""].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, ...rows)))
    : h("p", { id: "no-partners" }, "Aucun organisme partenaire déclaré.");
  const parts = [title,
    h("p", {}, "Les organismes que vous habilitez à préparer à la certification ou à organiser ses épreuves. Chaque changement est daté et publié au registre ; déclarez-le dès qu’il prend effet."),
    notice || "", table];
  if (record.status === "active") parts.push(addForm(box, number));
  box.replaceChildren(...parts.filter(Boolean));
}

function addForm(box, number) {
  const form = h("form", { id: "partner-form", class: "fr-mt-3w", novalidate: true },
    h("h3", { class: "fr-h6" }, "Déclarer un organisme partenaire"),
    h("div", { class: "fr-input-group" }, h("label", { class: "fr-label", for: "p-siret" }, "SIRET de l’organisme", h("span", { class: "fr-hint-text" }, "14 chiffres")),
      h("input", { class: "fr-input", id: "p-siret", name: "siret", inputmode: "numeric", autocomplete: "off" })),
    h("div", { class: "fr-input-group" }, h("label", { class: "fr-label", for: "p-name" }, "Dénomination de l’organisme"),
      h("input", { class: "fr-input", id: "p-name", name: "name", maxlength: 300 })),
    h("div", { class: "fr-select-group" }, h("label", { class: "fr-label", for: "p-scope" }, "Habilité pour"),
      h("select", { class: "fr-select", id: "p-scope", name: "scope" }, ...Object.entries(SCOPES).map(([v, t]) => h("option", { value: v }, t)))),
    h("div", { class: "fr-input-group" }, h("label", { class: "fr-label", for: "p-since" }, "Habilité depuis le"),
      h("input", { class: "fr-input", type: "date", id: "p-since", name: "since", value: parisToday(), max: parisToday() })),
    h("button", { class: "fr-btn", type: "submit" }, "Déclarer l’organisme"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const f = form.elements;
    const problem = siretProblem(f.siret.value);
    if (problem) return markField(f.siret, problem);
    if (!f.name.value.trim()) return markField(f.name, "Saisissez la dénomination de l’organisme.");
    const body = { siret: normaliseSiret(f.siret.value), name: f.name.value.trim(), scope: f.scope.value, since: f.since.value || null };
    const button = form.querySelector("button[type=submit]");
    setBusy(button, true, "Envoi…");
    try {
      const change = await api(`/api/review/registry/${encodeURIComponent(number)}/partners`, { method: "POST", json: body });
      await fillPartners(box, number, lateNotice(change, `${change.partner.name} est déclaré comme organisme partenaire.`));
    } catch (err) {
      setBusy(button, false);
      showError(form, err, { alertTitle: "La déclaration n’a pas abouti" });
    }
  });
  return form;
}

async function removePartner(box, number, partner, button) {
  const ok = await confirmAction({
    title: `Retirer ${partner.name} ?`,
    text: "L’organisme ne sera plus habilité à compter d’aujourd’hui ; il reste visible au registre comme retiré.",
    confirmLabel: "Retirer l’organisme",
  });
  if (!ok) return;
  setBusy(button, true, "Retrait…");
  try {
    const change = await api(`/api/review/registry/${encodeURIComponent(number)}/partners/${partner.siret}/removal`, { method: "POST", json: {} });
    await fillPartners(box, number, lateNotice(change, `${change.partner.name} n’est plus habilité.`));
  } catch (err) {
    setBusy(button, false);
    showError(box, err);
  }
}

function lateNotice(change, text) {
  const late = change.late ? ` Déclaré ${change.days_late} jour${change.days_late > 1 ? "s" : ""} après le délai de déclaration : France compétences en est informée.` : "";
  return h("div", { class: `fr-alert fr-alert--${change.late ? "warning" : "success"} fr-alert--sm fr-mb-2w`, id: "partner-notice", role: "status" },
    h("p", {}, `${text}${late} (${fmtDateTime(change.partner.removal_declared_at || change.partner.declared_at)})`));
}
