// « Mon organisme » (issue 13, point 11; issue 11, point 8): the entity's members, a
// member removed, the management handed over — each after a DSFR confirmation.
import { api, fmtDate, h, itemsOf, renewSession, requireLogin, setBusy, showAlert, showError } from "/static/js/api.js";
import { renderLayout } from "/static/js/layout.js";
import { confirmAction } from "/static/js/confirm.js";

const STATE = { active: ["Actif", "success"], disabled: ["Désactivé", "warning"], removed: ["Retiré", "error"] };
const box = document.getElementById("members");
let me = requireLogin();

function badge(status) {
  const [label, kind] = STATE[status] || [status, "info"];
  return h("p", { class: `fr-badge fr-badge--sm fr-badge--${kind} fr-badge--no-icon`, text: label });
}

async function act(member, button, { path, title, text, confirmLabel, message, after }) {
  const answer = await confirmAction({ title, text, confirmLabel });
  if (!answer) return;
  setBusy(button, true, "…");
  try {
    await api(`/api/identity/entity-members/${member.account_id}/${path}`, { method: "POST" });
    if (after) await after();
    await render(message);
  } catch (err) {
    setBusy(button, false);
    showError(box, err);
  }
}

function row(member, manager) {
  const name = `${member.first_name} ${member.last_name}`;
  const self = member.account_id === me.id;
  const actions = [];
  if (manager && !self && member.status === "active") {
    const hand = h("button", { class: "fr-btn fr-btn--sm fr-btn--tertiary", type: "button" }, "Transmettre la gestion", h("span", { class: "fr-sr-only" }, ` à ${name}`));
    hand.addEventListener("click", () => act(member, hand, {
      path: "manager",
      title: `Transmettre la gestion de l’organisme à ${name} ?`,
      text: `${name} validera les demandes de compte et gérera les membres. Vous resterez membre, comme déposant : vous ne pourrez plus gérer l’organisme.`,
      confirmLabel: "Transmettre la gestion",
      message: `${name} gère désormais l’organisme.`,
      after: async () => {
        await renewSession(); // the next token carries the new roles
        me = requireLogin();
        renderLayout();
      },
    }));
    actions.push(hand);
  }
  if (manager && !self && member.status !== "removed") {
    const remove = h("button", { class: "fr-btn fr-btn--sm fr-btn--secondary", type: "button" }, "Retirer de l’organisme", h("span", { class: "fr-sr-only" }, ` : ${name}`));
    remove.addEventListener("click", () => act(member, remove, {
      path: "remove",
      title: `Retirer ${name} de l’organisme ?`,
      text: `${name} ne pourra plus agir pour l’organisme ni se connecter au portail ; ses sessions sont fermées aussitôt (un accès déjà ouvert expire en 15 minutes au plus). Ses dossiers restent ceux de l’organisme. Ce retrait est définitif.`,
      confirmLabel: "Retirer le membre",
      message: `${name} est retiré de l’organisme.`,
    }));
    actions.push(remove);
  }
  const role = member.roles.includes("entity_manager") ? "Gestionnaire" : member.roles.includes("depositor") ? "Déposant" : "—";
  return h("tr", { "data-member": member.email },
    h("td", {}, h("strong", {}, name), self ? " (vous)" : "", h("br"), h("span", { class: "fr-text--sm" }, member.email)),
    h("td", {}, member.job_title || "—"),
    h("td", {}, role),
    h("td", {}, badge(member.status), member.decided_at ? h("span", { class: "fr-text--xs" }, `membre depuis le ${fmtDate(member.decided_at)}`) : null),
    h("td", {}, actions.length ? h("ul", { class: "fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm" }, actions.map((b) => h("li", {}, b))) : "—"));
}

async function render(message) {
  const manager = me.roles.includes("entity_manager");
  if (!manager) {
    box.replaceChildren(h("p", {}, "Seul le gestionnaire de l’organisme en gère les membres."));
    if (message) showAlert(box, message, { title: "C’est fait", type: "success" });
    return;
  }
  let members;
  try {
    members = itemsOf(await api("/api/identity/entity-members?limit=200"));
  } catch (err) {
    box.replaceChildren();
    showError(box, err);
    return;
  }
  box.replaceChildren(
    h("div", { class: "fr-table fr-table--layout-fixed" }, h("table", { id: "members-table" },
      h("caption", {}, `${members.length} membre${members.length > 1 ? "s" : ""}`),
      h("thead", {}, h("tr", {}, ["Membre", "Fonction", "Rôle", "État", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, members.map((m) => row(m, manager))))));
  if (message) showAlert(box, message, { title: "C’est fait", type: "success" });
}

render();
