// The fiche of a filing (issue 14): its form with the API's rules checked before sending
// (SIRET key, one filer, code formats, a jury per open route, a basis that fits the
// repertoire, statistics), the preview of the public fiche, and what changed since the
// previous round. Kept apart from dossier.js so that the pages only call these three.
import { api, clearErrors, h, setBusy, showAlert, showError, showFieldErrors } from "/static/js/api.js";
import { BASIS_LABELS, ROUTES, ficheView, filingAsRecord } from "/static/js/fiche-view.js";
import { normaliseSiret, siretProblem } from "/static/js/siret.js";

const NSF = /^\d{2,3}[a-z]?$/;
const ROME = /^[A-N]\d{4}$/;
const NUMBER = /^(RNCP|RS)\d{1,7}$/;
const lines = (value) => value.split("\n").map((s) => s.trim()).filter(Boolean);

function input(name, label, value, { disabled, hint, type = "text", rows } = {}) {
  const id = `f-${name.replaceAll(".", "-")}`;
  const field = rows
    ? h("textarea", { class: "fr-input", id, name, rows, disabled }, value ?? "")
    : h("input", { class: "fr-input", id, name, type, value: value ?? "", disabled });
  return h("div", { class: "fr-input-group" }, h("label", { class: "fr-label", for: id }, label, hint ? h("span", { class: "fr-hint-text" }, hint) : null), field);
}

/** The fiche's form; `onSaved(filing)` after a save. */
export function ficheForm(filing, { onSaved } = {}) {
  const fiche = filing.fiche || {};
  const disabled = !filing.editable_items?.includes("fiche");
  const form = h("form", { id: "fiche-form", novalidate: true });
  const rs = filing.repertoire === "rs";
  const basis = rs ? "L6113-6" : "L6113-5";

  // Identification: type of registration.
  const byRight = fiche.registration_type === "by_right";
  form.append(h("fieldset", { class: "fr-fieldset", "data-field": "fiche.registration_type", "aria-labelledby": "f-reg-legend" },
    h("legend", { class: "fr-fieldset__legend", id: "f-reg-legend" }, "Type d’enregistrement"),
    [["on_request", "Enregistrement sur demande (examen par la commission)"], ["by_right", `Enregistrement de droit — ${BASIS_LABELS[basis]}`]].map(([value, label]) =>
      h("div", { class: "fr-fieldset__element" }, h("div", { class: "fr-radio-group" },
        h("input", { type: "radio", id: `f-reg-${value}`, name: "fiche.registration_type", value, checked: (byRight ? "by_right" : "on_request") === value, disabled }),
        h("label", { class: "fr-label", for: `f-reg-${value}` }, label))))));
  form.append(input("fiche.former_numbers", "Certifications précédentes (renouvellement ou remplacement)", (fiche.former_numbers || []).join(" "), { disabled, hint: "Numéros séparés par des espaces, par exemple RNCP34762." }));

  // Co-certifiers.
  const rows = h("div", { id: "certifiers", "data-field": "fiche.certifiers" });
  const addCertifier = (c = { siret: "", name: "", filer: rows.children.length === 0 }) => {
    const n = rows.children.length;
    rows.append(h("fieldset", { class: "fr-fieldset fr-mb-1w", "data-certifier": "", "aria-label": `Certificateur ${n + 1}` },
      h("div", { class: "fr-fieldset__element fr-fieldset__element--inline" }, input(`fiche.certifiers.${n}.siret`, "SIRET", c.siret, { disabled })),
      h("div", { class: "fr-fieldset__element fr-fieldset__element--inline" }, input(`fiche.certifiers.${n}.name`, "Nom", c.name, { disabled })),
      h("div", { class: "fr-fieldset__element fr-fieldset__element--inline" }, h("div", { class: "fr-radio-group" },
        h("input", { type: "radio", id: `f-filer-${n}`, name: "fiche.filer", value: String(n), checked: !!c.filer, disabled }),
        h("label", { class: "fr-label", for: `f-filer-${n}` }, "Organisme déposant")))));
  };
  (fiche.certifiers || []).forEach(addCertifier);
  form.append(h("h3", { class: "fr-h6 fr-mt-3w" }, "Certificateurs"),
    h("p", { class: "fr-text--sm" }, "Sans certificateur indiqué, votre organisme est le seul certificateur. En cocertification, indiquez chaque organisme et désignez le déposant."),
    rows);
  if (!disabled) form.append(h("button", { class: "fr-btn fr-btn--tertiary fr-btn--sm fr-mb-3w", type: "button", onclick: () => addCertifier() }, "Ajouter un certificateur"));

  // Classification, routes, context.
  form.append(
    input("fiche.nsf_codes", "Codes NSF (un par ligne)", (fiche.nsf_codes || []).join("\n"), { disabled, rows: 2, hint: "Nomenclature des spécialités de formation, par exemple 326 ou 326t." }),
    input("fiche.rome_codes", "Codes ROME (un par ligne)", (fiche.rome_codes || []).join("\n"), { disabled, rows: 2, hint: "ROME 4.0, par exemple M1805." }),
    h("h3", { class: "fr-h6 fr-mt-3w", "data-field": "fiche.access_routes" }, "Voies d’accès et composition des jurys"),
    ...ROUTES.map(([route, label]) => {
      const open = (fiche.access_routes || []).find((r) => r.route === route);
      return h("div", { class: "fr-mb-2w", "data-route": route },
        h("div", { class: "fr-checkbox-group" }, h("input", { type: "checkbox", id: `f-route-${route}`, name: `fiche.route.${route}`, checked: !!open, disabled }), h("label", { class: "fr-label", for: `f-route-${route}` }, label)),
        input(`fiche.access_routes.${route}.jury`, "Composition du jury", open?.jury, { disabled, rows: 2 }));
    }),
    input("fiche.prerequisites", "Prérequis à l’entrée en formation", fiche.prerequisites, { disabled, rows: 2 }),
    input("fiche.sectors", "Secteurs d’activité (un par ligne)", (fiche.sectors || []).join("\n"), { disabled, rows: 2 }),
    input("fiche.job_types", "Types d’emplois accessibles (un par ligne)", (fiche.job_types || []).join("\n"), { disabled, rows: 2 }),
    input("fiche.regulation", "Réglementation de l’activité", fiche.regulation, { disabled, rows: 2 }),
    input("fiche.equivalences", "Équivalences et correspondances (une par ligne)", (fiche.equivalences || []).map((e) => [e.number, e.label].filter(Boolean).join(" ")).join("\n"), { disabled, rows: 2, hint: "Commencez la ligne par le numéro de fiche (RNCP… ou RS…) s’il y en a un." }),
  );

  // Statistics of the last cohorts, as a table.
  const STATS = [["year", "Année"], ["certified", "Certifiés"], ["certified_by_vae", "dont VAE"], ["employed_6_months_rate", "Insertion à 6 mois (%)"], ["employed_in_job_2_years_rate", "Dans le métier à 2 ans (%)"]];
  const body = h("tbody", { id: "statistics" });
  const addYear = (s = {}) => {
    const n = body.children.length;
    body.append(h("tr", { "data-year": "" }, STATS.map(([key, label]) => h("td", {}, h("input", { class: "fr-input", type: "number", min: 0, name: `fiche.statistics.${n}.${key}`, "aria-label": `${label}, ligne ${n + 1}`, value: s[key] ?? "", disabled })))));
  };
  (fiche.statistics || []).forEach(addYear);
  form.append(h("h3", { class: "fr-h6 fr-mt-3w", "data-field": "fiche.statistics" }, "Statistiques des dernières promotions"),
    h("div", { class: "fr-table" }, h("table", {}, h("thead", {}, h("tr", {}, STATS.map(([, label]) => h("th", { scope: "col" }, label)))), body)));
  if (!disabled) form.append(h("button", { class: "fr-btn fr-btn--tertiary fr-btn--sm fr-mb-3w", type: "button", onclick: () => addYear() }, "Ajouter une année"));

  if (disabled) return form;
  form.append(h("button", { class: "fr-btn fr-btn--secondary", type: "submit" }, "Enregistrer la fiche"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const { value, errors } = readFiche(form, filing);
    if (errors.length) return showFieldErrors(form, errors);
    const button = form.querySelector("button[type=submit]");
    setBusy(button, true, "Enregistrement…");
    try {
      const saved = await api(`/api/filings/${filing.filing_id}`, { method: "PATCH", json: { fiche: value } });
      await onSaved?.(saved); // the page shows the fiche saved (its preview too)
      showAlert(document.getElementById("fiche-form") || form, "La fiche est enregistrée.", { title: "Enregistré", type: "success" });
    } catch (err) {
      showError(form, err);
    } finally {
      setBusy(button, false);
    }
  });
  return form;
}

/** The fiche the form says, and every rule it breaks (the API's, in the same words). */
export function readFiche(form, filing) {
  const f = form.elements;
  const errors = [];
  const err = (field, msg) => errors.push({ field, msg });
  const value = { registration_type: form.querySelector("input[name='fiche.registration_type']:checked")?.value || "on_request" };
  value.by_right_basis = value.registration_type === "by_right" ? (filing.repertoire === "rs" ? "L6113-6" : "L6113-5") : null;
  value.former_numbers = f["fiche.former_numbers"].value.toUpperCase().split(/[\s,;]+/).filter(Boolean);
  value.former_numbers.forEach((n) => NUMBER.test(n) || err("fiche.former_numbers", `« ${n} » : numéro de fiche attendu, RNCP ou RS suivi de chiffres.`));
  const filer = form.querySelector("input[name='fiche.filer']:checked")?.value;
  value.certifiers = [...form.querySelectorAll("[data-certifier]")].map((_, n) => ({
    siret: normaliseSiret(f[`fiche.certifiers.${n}.siret`].value),
    name: f[`fiche.certifiers.${n}.name`].value.trim(),
    filer: filer === String(n),
  })).filter((c) => c.siret || c.name);
  const seen = new Set();
  value.certifiers.forEach((c, n) => {
    const problem = siretProblem(c.siret);
    if (problem) err(`fiche.certifiers.${n}.siret`, problem);
    else if (seen.has(c.siret)) err(`fiche.certifiers.${n}.siret`, `Le SIRET ${c.siret} figure deux fois parmi les certificateurs.`);
    seen.add(c.siret);
    if (!c.name) err(`fiche.certifiers.${n}.name`, "Saisissez le nom du certificateur.");
  });
  if (value.certifiers.length && value.certifiers.filter((c) => c.filer).length !== 1) err("fiche.certifiers", "Un et un seul des certificateurs est l’organisme déposant.");
  value.nsf_codes = lines(f["fiche.nsf_codes"].value.toLowerCase());
  value.nsf_codes.forEach((c) => NSF.test(c) || err("fiche.nsf_codes", `« ${c} » n’est pas un code NSF (2 ou 3 chiffres, éventuellement suivis d’une lettre).`));
  value.rome_codes = lines(f["fiche.rome_codes"].value.toUpperCase());
  value.rome_codes.forEach((c) => ROME.test(c) || err("fiche.rome_codes", `« ${c} » n’est pas un code ROME (une lettre et quatre chiffres).`));
  for (const name of ["nsf_codes", "rome_codes"]) {
    const dup = value[name].find((c, i) => value[name].indexOf(c) !== i);
    if (dup) err(`fiche.${name}`, `« ${dup} » figure deux fois.`);
  }
  value.access_routes = ROUTES.filter(([route]) => f[`fiche.route.${route}`].checked).map(([route]) => ({ route, jury: f[`fiche.access_routes.${route}.jury`].value.trim() }));
  value.access_routes.forEach((r) => r.jury || err(`fiche.access_routes.${r.route}.jury`, "Indiquez la composition du jury de cette voie d’accès."));
  const text = (name) => f[`fiche.${name}`].value.trim() || null;
  value.prerequisites = text("prerequisites");
  value.regulation = text("regulation");
  value.sectors = lines(f["fiche.sectors"].value);
  value.job_types = lines(f["fiche.job_types"].value);
  value.equivalences = lines(f["fiche.equivalences"].value).map((line) => {
    const [first, ...rest] = line.split(/\s+/);
    return NUMBER.test(first.toUpperCase()) ? { number: first.toUpperCase(), label: rest.join(" ") } : { label: line };
  });
  const years = new Set();
  value.statistics = [...form.querySelectorAll("[data-year]")].map((_, n) => {
    const get = (key) => {
      const v = f[`fiche.statistics.${n}.${key}`].value;
      return v === "" ? null : Number(v);
    };
    return { year: get("year"), certified: get("certified"), certified_by_vae: get("certified_by_vae"), employed_6_months_rate: get("employed_6_months_rate"), employed_in_job_2_years_rate: get("employed_in_job_2_years_rate") };
  }).filter((s) => Object.values(s).some((v) => v !== null));
  value.statistics.forEach((s, n) => {
    if (!Number.isInteger(s.year) || s.year < 1990 || s.year > 2100) err(`fiche.statistics.${n}.year`, "Année attendue (1990 à 2100).");
    else if (years.has(s.year)) err(`fiche.statistics.${n}.year`, `L’année ${s.year} figure deux fois dans les statistiques.`);
    years.add(s.year);
    for (const key of ["employed_6_months_rate", "employed_in_job_2_years_rate"]) {
      if (s[key] !== null && !(s[key] >= 0 && s[key] <= 100)) err(`fiche.statistics.${n}.${key}`, "Taux en pourcentage, de 0 à 100.");
    }
  });
  return { value, errors };
}

/** The public fiche as it will be published, from the filing as it stands. */
export function fichePreview(filing) {
  const missing = filing.repertoire === "rncp" ? (filing.competence_blocks || []).filter((b) => !b.assessment_methods?.length) : [];
  return h("div", { id: "fiche-preview", class: "fr-p-3w cr-preview" },
    missing.length ? h("div", { class: "fr-alert fr-alert--warning fr-alert--sm fr-mb-2w" }, h("p", {}, `Modalités d’évaluation manquantes pour le(s) bloc(s) ${missing.map((b) => b.code).join(", ")} : elles sont obligatoires au dépôt (art. R.6113-9).`)) : null,
    ...ficheView(filingAsRecord(filing), { preview: true }));
}

const show = (v) => (v == null || v === "" ? "—" : Array.isArray(v) ? v.map((x) => (typeof x === "object" ? Object.values(x).join(" — ") : x)).join(" ; ") : typeof v === "object" ? Object.values(v).filter((x) => x !== null).join(" — ") : String(v));
/** A change's kind: its label and its DSFR badge colour (round to round, and a renewal's diff). */
export const CHANGE_KINDS = { added: ["Ajouté", "success"], removed: ["Retiré", "error"], changed: ["Modifié", "info"] };

/** What changed since the previous round (`current`: what the next round will change). */
export async function ficheChanges(filingId, { current = false } = {}) {
  const box = h("div", { id: current ? "fiche-changes-pending" : "fiche-changes" });
  try {
    const c = await api(`/api/filings/${filingId}/changes${current ? "?current=true" : ""}`);
    if (c.from_round === null) {
      box.append(h("p", {}, current ? "Aucun dépôt précédent." : "Premier dépôt : pas de version antérieure."));
    } else if (!c.comparable) {
      box.append(h("p", {}, "La version précédente a été déposée avant la conservation des versions : comparaison indisponible."));
    } else if (!c.changes.length) {
      box.append(h("p", {}, current ? `Aucune modification depuis le dépôt n°${c.from_round}.` : `Aucune modification entre les dépôts n°${c.from_round} et n°${c.to_round}.`));
    } else {
      box.append(
        h("p", {}, current ? `Modifications depuis le dépôt n°${c.from_round}, envoyées au prochain dépôt :` : `Modifications du dépôt n°${c.to_round} par rapport au dépôt n°${c.from_round} :`),
        h("div", { class: "fr-table" }, h("table", {},
          h("thead", {}, h("tr", {}, ["Élément", "", "Avant", "Après"].map((x) => h("th", { scope: "col" }, x)))),
          h("tbody", {}, c.changes.map((x) => h("tr", { "data-path": x.path.join(".") },
            h("td", {}, x.label, x.path.length > 2 && x.path[0] !== "fiche" ? ` (${x.path.at(-1)})` : x.path.length > 3 ? ` (${x.path.at(-1)})` : ""),
            h("td", {}, h("span", { class: `fr-badge fr-badge--sm fr-badge--${CHANGE_KINDS[x.kind][1]} fr-badge--no-icon` }, CHANGE_KINDS[x.kind][0])),
            h("td", { class: "cr-pre" }, show(x.before)),
            h("td", { class: "cr-pre" }, show(x.after))))))));
    }
  } catch (err) {
    showError(box, err);
  }
  return box;
}
