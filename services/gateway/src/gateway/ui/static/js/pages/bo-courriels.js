// The embedded mode's mail outbox (notifier, si_admin): newest first, page by page.
import { api, fmtDateTime, h, itemsOf, requireLogin, showError } from "/static/js/api.js";
import "/static/js/layout.js";

requireLogin();
const box = document.getElementById("outbox");
const PAGE = 50;
const STATUS = { sent: ["Envoyé", "success"], pending: ["En attente", "info"], failed: ["Échec", "error"] };
const list = h("div", { class: "fr-accordions-group" });
const more = h("button", { class: "fr-btn fr-btn--secondary fr-mt-3w cr-hidden", type: "button" }, "Afficher les courriels plus anciens");
const count = h("p", { role: "status" });
let offset = 0;

function mail(m) {
  const [label, kind] = STATUS[m.status] || [m.status, "info"];
  const key = `mail-${m.id}`;
  return h("section", { class: "fr-accordion", "data-to": m.to },
    h("h2", { class: "fr-accordion__title" }, h("button", { class: "fr-accordion__btn", type: "button", "aria-expanded": "false", "aria-controls": key },
      `${m.subject} — à ${m.to} — ${fmtDateTime(m.sent_at || m.created_at)}`)),
    h("div", { class: "fr-collapse", id: key },
      h("p", {}, h("span", { class: `fr-badge fr-badge--sm fr-badge--${kind} fr-badge--no-icon` }, label), m.attempts > 1 ? ` ${m.attempts} tentatives.` : "",
        m.attachments ? ` ${m.attachments} pièce${m.attachments > 1 ? "s" : ""} jointe${m.attachments > 1 ? "s" : ""}.` : "", m.last_error ? ` Dernière erreur : ${m.last_error}` : ""),
      h("p", { class: "cr-mail" }, m.text || "")));
}

async function load() {
  try {
    const data = await api(`/api/notifier/outbox?limit=${PAGE}&offset=${offset}`);
    const items = itemsOf(data);
    list.append(...items.map(mail));
    offset += items.length;
    count.textContent = `${data.total} courriel${data.total > 1 ? "s" : ""} ; ${offset} affiché${offset > 1 ? "s" : ""}.`;
    more.classList.toggle("cr-hidden", offset >= data.total);
    if (!data.total) box.replaceChildren(h("p", {}, "Aucun courriel."));
  } catch (err) {
    box.replaceChildren();
    showError(box, err);
  }
}
more.addEventListener("click", load);
count.textContent = "Chargement…";
box.replaceChildren(count, list, more);
await load();
