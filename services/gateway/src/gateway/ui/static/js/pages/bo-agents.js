import { api, clearErrors, h, itemsOf, requireLogin, setBusy, showAlert, showError, showFieldErrors } from "/static/js/api.js";
import "/static/js/layout.js";
import { confirmAction } from "/static/js/confirm.js";
import { ROLES } from "/static/js/labels.js";

const STAFF = ["reviewer", "instructor", "commission", "director", "si_admin"];
const STATE = {
  active: ["Actif", "success"],
  pending_activation: ["Invitation envoyée", "info"],
  disabled: ["Désactivé", "error"],
};

const me = requireLogin();
const list = document.getElementById("agents");

function badge(status) {
  const [label, kind] = STATE[status] || [status, "info"];
  return h("p", { class: `fr-badge fr-badge--sm fr-badge--${kind} fr-badge--no-icon`, text: label });
}

function rolesForm(agent, done) {
  const id = `roles-${agent.account_id}`;
  const legend = `${id}-legend`;
  const form = h("form", { novalidate: true, class: "fr-mt-2w", "data-roles-form": agent.email },
    h("fieldset", { class: "fr-fieldset", "data-field": "roles", "aria-labelledby": legend },
      h("legend", { class: "fr-fieldset__legend fr-text--regular", id: legend }, `Rôles de ${agent.first_name} ${agent.last_name}`),
      STAFF.map((role) => h("div", { class: "fr-fieldset__element" }, h("div", { class: "fr-checkbox-group fr-checkbox-group--sm" },
        h("input", { type: "checkbox", id: `${id}-${role}`, name: "roles", value: role, checked: agent.roles.includes(role) }),
        h("label", { class: "fr-label", for: `${id}-${role}` }, ROLES[role]))))),
    h("ul", { class: "fr-btns-group fr-btns-group--inline-sm" },
      h("li", {}, h("button", { class: "fr-btn fr-btn--sm", type: "submit" }, "Enregistrer les rôles")),
      h("li", {}, h("button", { class: "fr-btn fr-btn--sm fr-btn--secondary", type: "button", onclick: () => done(false) }, "Annuler"))));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const roles = [...form.querySelectorAll("input[name=roles]:checked")].map((i) => i.value);
    if (!roles.length) return showFieldErrors(form, [{ field: "roles", msg: "Choisissez au moins un rôle." }]);
    const button = e.submitter;
    setBusy(button, true, "Enregistrement…");
    try {
      await api(`/api/identity/staff/${agent.account_id}/roles`, { method: "PUT", json: { roles } });
      done(true, `Les rôles de ${agent.first_name} ${agent.last_name} sont enregistrés ; ses sessions sont fermées.`);
    } catch (err) {
      setBusy(button, false);
      showError(form, err);
    }
  });
  return form;
}

async function act(agent, button, { path, title, text, confirmLabel, message }) {
  if (title) {
    const answer = await confirmAction({ title, text, confirmLabel });
    if (!answer) return;
  }
  setBusy(button, true, "…");
  try {
    await api(`/api/identity/${path}`, { method: "POST" });
    await render(message);
  } catch (err) {
    setBusy(button, false);
    showError(list, err);
  }
}

function row(agent) {
  const name = `${agent.first_name} ${agent.last_name}`;
  const self = agent.account_id === me.id;
  const edit = h("td", { colspan: 4 });
  const editRow = h("tr", { hidden: true }, edit);
  const actions = [];
  if (!self && agent.status !== "disabled") {
    const toggle = h("button", { class: "fr-btn fr-btn--sm fr-btn--tertiary", type: "button", "aria-expanded": "false" }, "Modifier les rôles", h("span", { class: "fr-sr-only" }, ` de ${name}`));
    toggle.addEventListener("click", () => {
      const open = editRow.hidden;
      editRow.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      if (open) {
        edit.replaceChildren(rolesForm(agent, (changed, message) => (changed ? render(message) : (editRow.hidden = true, toggle.setAttribute("aria-expanded", "false"), toggle.focus()))));
        edit.querySelector("input").focus();
      }
    });
    actions.push(toggle);
  }
  if (agent.status === "pending_activation") {
    const resend = h("button", { class: "fr-btn fr-btn--sm fr-btn--tertiary", type: "button" }, "Renvoyer l’invitation", h("span", { class: "fr-sr-only" }, ` à ${name}`));
    resend.addEventListener("click", () => act(agent, resend, {
      path: `staff/${agent.account_id}/invitation`,
      title: `Renvoyer l’invitation à ${name} ?`,
      text: `Un nouveau lien pour choisir son mot de passe est envoyé à ${agent.email} ; le lien précédent ne fonctionnera plus.`,
      confirmLabel: "Renvoyer l’invitation",
      message: `Une nouvelle invitation est envoyée à ${agent.email} ; le lien précédent ne fonctionne plus.`,
    }));
    actions.push(resend);
  }
  if (!self && agent.status === "active") {
    const off = h("button", { class: "fr-btn fr-btn--sm fr-btn--secondary", type: "button" }, "Désactiver", h("span", { class: "fr-sr-only" }, ` le compte de ${name}`));
    off.addEventListener("click", () => act(agent, off, {
      path: `accounts/${agent.account_id}/disable`,
      title: `Désactiver le compte de ${name} ?`,
      text: "L’agent ne pourra plus se connecter et ses sessions sont fermées ; un accès déjà ouvert expire en 15 minutes au plus. Aucun dossier ne pourra plus lui être affecté. Vous pourrez le réactiver.",
      confirmLabel: "Désactiver le compte",
      message: `Le compte de ${name} est désactivé.`,
    }));
    actions.push(off);
  }
  if (agent.status === "disabled") {
    const on = h("button", { class: "fr-btn fr-btn--sm fr-btn--secondary", type: "button" }, "Réactiver", h("span", { class: "fr-sr-only" }, ` le compte de ${name}`));
    on.addEventListener("click", () => act(agent, on, {
      path: `accounts/${agent.account_id}/enable`,
      title: `Réactiver le compte de ${name} ?`,
      text: "L’agent pourra de nouveau se connecter avec son mot de passe.",
      confirmLabel: "Réactiver le compte",
      message: `Le compte de ${name} est réactivé.`,
    }));
    actions.push(on);
  }
  const main = h("tr", { "data-agent": agent.email },
    h("td", {}, h("strong", {}, name), self ? " (vous)" : "", h("br"), h("span", { class: "fr-text--sm" }, agent.email)),
    h("td", {}, agent.roles.map((r) => ROLES[r] || r).join(", ") || "—"),
    h("td", {}, badge(agent.status)),
    h("td", {}, actions.length ? h("ul", { class: "fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm" }, actions.map((b) => h("li", {}, b))) : "—"));
  return [main, editRow];
}

const PAGE = 200; // the API's largest page

// Every agent, page after page: a platform has hundreds, sorted by name, and the one just
// created must not fall off the first page.
async function allAgents() {
  const agents = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = itemsOf(await api(`/api/identity/staff?status=all&limit=${PAGE}&offset=${offset}`));
    agents.push(...page);
    if (page.length < PAGE) return agents;
  }
}

async function render(message) {
  let agents;
  try {
    agents = await allAgents();
  } catch (err) {
    list.replaceChildren();
    showError(list, err);
    return;
  }
  const order = { active: 0, pending_activation: 1, disabled: 2 };
  agents.sort((a, b) => (order[a.status] ?? 3) - (order[b.status] ?? 3));
  list.replaceChildren(
    h("div", { class: "fr-table fr-table--layout-fixed" }, h("table", { id: "agents-table" },
      h("caption", {}, `${agents.length} agent${agents.length > 1 ? "s" : ""}`),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Agent"), h("th", { scope: "col" }, "Rôles"), h("th", { scope: "col" }, "État"), h("th", { scope: "col" }, "Actions"))),
      h("tbody", {}, agents.flatMap(row)))));
  if (message) showAlert(list, message, { title: "C’est fait", type: "success" });
}

render();

const form = document.getElementById("staff-form");
form.addEventListener("submit", async (e) => {
  e.preventDefault();
  clearErrors(form);
  const v = (n) => form[n].value.trim();
  const roles = [...form.querySelectorAll("input[name=roles]:checked")].map((i) => i.value);
  const errors = [];
  if (!v("first_name")) errors.push({ field: "first_name", msg: "Saisissez le prénom." });
  if (!v("last_name")) errors.push({ field: "last_name", msg: "Saisissez le nom." });
  if (!v("email") || form.email.validity.typeMismatch) errors.push({ field: "email", msg: "Saisissez une adresse électronique valide, par exemple nom@domaine.fr." });
  if (!roles.length) errors.push({ field: "roles", msg: "Choisissez au moins un rôle." });
  if (errors.length) return showFieldErrors(form, errors);
  const button = form.querySelector("button[type=submit]");
  setBusy(button, true, "Création…");
  try {
    const made = await api("/api/identity/staff", { method: "POST", json: { email: v("email"), first_name: v("first_name"), last_name: v("last_name"), roles } });
    const box = showAlert(form, `Le compte de ${v("first_name")} ${v("last_name")} (${made.email}) est créé : un courriel lui permet de définir son mot de passe.`, { title: "Compte créé", type: "success" });
    box.append(h("p", {}, "Identifiant du compte : ", h("code", { class: "cr-account-id" }, made.account_id)));
    form.reset();
    render();
  } catch (err) {
    showError(form, err);
  } finally {
    setBusy(button, false);
  }
});
