// An entity as the SI administrator manages it (issue 12, point 2): its details corrected
// with a reason (PATCH /api/entities/entities/{id}, kept in its history), its members and
// their management — one more manager, or the management transferred
// (POST /api/identity/entities/{id}/managers), each audited.
import { api, clearErrors, fmtDateTime, h, itemsOf, markField, pathId, requireLogin, setBusy, setTitle, showAlert, showError } from "/static/js/api.js";
import "/static/js/layout.js";
import { confirmAction } from "/static/js/confirm.js";
import { LEGAL_FORMS, ROLES } from "/static/js/labels.js";

requireLogin();
const id = pathId();
const box = document.getElementById("entity");
const FIELDS = { denomination: "Dénomination", legal_form: "Forme juridique", street: "Adresse", postal_code: "Code postal", city: "Ville", country: "Pays" };

function input(name, label, value, attrs = {}) {
  return h("div", { class: "fr-input-group" },
    h("label", { class: "fr-label", for: `entity-${name}` }, label),
    h("input", { class: "fr-input", id: `entity-${name}`, name, value: value || "", maxlength: 200, ...attrs }));
}

function detailsForm(e) {
  const a = e.address || {};
  const form = h("form", { id: "correction", novalidate: true, class: "fr-mb-6w" },
    h("h2", {}, "Informations de l’organisme"),
    h("p", {}, e.siret ? `SIRET ${e.siret}` : "Sans SIRET", ` — ${e.status === "verified" ? "organisme vérifié" : "en attente de vérification"}`),
    input("denomination", "Dénomination", e.denomination),
    h("div", { class: "fr-select-group" },
      h("label", { class: "fr-label", for: "entity-legal_form" }, "Forme juridique"),
      h("select", { class: "fr-select", id: "entity-legal_form", name: "legal_form" },
        Object.entries(LEGAL_FORMS).map(([k, v]) => h("option", { value: k, ...(k === e.legal_form ? { selected: true } : {}) }, v)))),
    input("street", "Adresse", a.street),
    input("postal_code", "Code postal", a.postal_code),
    input("city", "Ville", a.city),
    input("country", "Pays", a.country),
    h("div", { class: "fr-input-group" },
      h("label", { class: "fr-label", for: "entity-reason" }, "Motif de la correction", h("span", { class: "fr-hint-text" }, "Conservé dans l’historique de l’organisme (par exemple : Kbis du 3 novembre 2026).")),
      h("textarea", { class: "fr-input", id: "entity-reason", name: "reason", rows: 2, maxlength: 2000 })),
    h("button", { class: "fr-btn", type: "submit", id: "correction-submit" }, "Enregistrer la correction"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!form.reason.value.trim()) return markField(form.reason, "Indiquez le motif de la correction.");
    if (!form.denomination.value.trim()) return markField(form.denomination, "La dénomination ne peut pas être vide.");
    const body = {
      denomination: form.denomination.value.trim(),
      legal_form: form.legal_form.value,
      address: { street: form.street.value.trim(), postal_code: form.postal_code.value.trim(), city: form.city.value.trim(), country: form.country.value.trim() },
      reason: form.reason.value.trim(),
    };
    const button = form.querySelector("#correction-submit");
    setBusy(button, true, "Enregistrement…");
    try {
      await api(`/api/entities/entities/${id}`, { method: "PATCH", json: body });
      await render();
      showAlert(box, "Les informations de l’organisme sont corrigées ; la correction figure dans son historique.", { title: "Organisme corrigé", type: "success" });
    } catch (err) {
      showError(form, err);
    } finally {
      setBusy(button, false);
    }
  });
  return form;
}

async function appoint(member, transfer) {
  const name = `${member.first_name} ${member.last_name}`;
  const asked = await confirmAction(transfer
    ? { title: `Transférer la gestion de l’organisme à ${name} ?`, text: "Les gestionnaires actuels deviennent déposants. Le changement prend effet à leur prochaine connexion.", confirmLabel: "Transférer la gestion" }
    : { title: `Ajouter ${name} comme gestionnaire ?`, text: "Ce membre pourra valider les demandes de compte de l’organisme, en plus des gestionnaires actuels.", confirmLabel: "Ajouter comme gestionnaire" });
  if (!asked) return;
  try {
    await api(`/api/identity/entities/${id}/managers`, { method: "POST", json: { account_id: member.account_id, transfer } });
    await render();
    showAlert(box, transfer ? `La gestion de l’organisme est transférée à ${name}.` : `${name} est désormais gestionnaire de l’organisme.`, { title: "Gestion modifiée", type: "success" });
  } catch (err) {
    showError(box, err);
  }
}

function membersTable(members) {
  const rows = members.map((m) => {
    const manager = m.roles.includes("entity_manager");
    const actions = m.status === "active" && !manager
      ? [h("button", { class: "fr-btn fr-btn--sm fr-btn--secondary fr-mr-1w", type: "button", "data-add-manager": m.account_id, onclick: () => appoint(m, false) }, "Ajouter comme gestionnaire"),
         h("button", { class: "fr-btn fr-btn--sm fr-btn--tertiary", type: "button", "data-transfer": m.account_id, onclick: () => appoint(m, true) }, "Transférer la gestion")]
      : "—";
    return h("tr", { "data-member": m.email },
      h("td", {}, h("strong", {}, `${m.first_name} ${m.last_name}`), h("br"), h("span", { class: "fr-text--sm" }, m.email)),
      h("td", { "data-roles": "" }, m.roles.map((r) => ROLES[r] || r).join(", ") || "—"),
      h("td", {}, m.status === "active" ? "Actif" : m.status === "disabled" ? "Désactivé" : "Retiré"),
      h("td", {}, actions));
  });
  return h("section", { class: "fr-mb-6w" }, h("h2", {}, "Membres et gestion"),
    h("div", { class: "fr-table" }, h("table", { id: "members" },
      h("caption", {}, `${members.length} membre${members.length > 1 ? "s" : ""}`),
      h("thead", {}, h("tr", {}, ["Membre", "Rôles", "État", "Gestion"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 4 }, "Aucun membre."))))));
}

function history(changes) {
  const show = (v) => (v === null || v === undefined || v === "" ? "—" : LEGAL_FORMS[v] || v);
  return h("section", {}, h("h2", {}, "Historique des corrections"),
    changes.length
      ? h("ul", { id: "changes" }, changes.map((c) => h("li", {},
          h("p", { class: "fr-mb-1w" }, h("strong", {}, fmtDateTime(c.changed_at)), ` — ${c.reason}`),
          h("ul", {}, Object.keys(c.after).map((k) => h("li", {}, `${FIELDS[k] || k} : ${show(c.before[k])} → ${show(c.after[k])}`))))))
      : h("p", { id: "changes" }, "Aucune correction."));
}

async function render() {
  let entity, members;
  try {
    [entity, members] = await Promise.all([api(`/api/entities/entities/${id}`), api(`/api/identity/entities/${id}/members?limit=200`)]);
  } catch (err) {
    box.replaceChildren(h("h1", {}, "Organisme"));
    showError(box, err);
    return;
  }
  setTitle(entity.denomination);
  document.getElementById("crumb").textContent = entity.denomination;
  box.replaceChildren(h("h1", { id: "denomination" }, entity.denomination), detailsForm(entity), membersTable(itemsOf(members)), history(entity.changes || []));
}

render();
