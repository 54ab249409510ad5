import { api, fmtDateTime, h, itemsOf, requireLogin, showError } from "/static/js/api.js";
import "/static/js/layout.js";

requireLogin();
const box = document.getElementById("outbox");
try {
  const items = itemsOf(await api("/api/notifier/outbox?limit=100"), "mails", "messages");
  if (!items.length) box.replaceChildren(h("p", {}, "Aucun courriel."));
  else
    box.replaceChildren(h("div", { class: "fr-accordions-group" }, items.map((m, i) => h("section", { class: "fr-accordion" },
      h("h2", { class: "fr-accordion__title" }, h("button", { class: "fr-accordion__btn", type: "button", "aria-expanded": "false", "aria-controls": `mail-${i}` }, `${m.subject} — à ${m.to} — ${fmtDateTime(m.sent_at || m.created_at || m.date)}`)),
      h("div", { class: "fr-collapse", id: `mail-${i}` }, h("p", { class: "cr-mail" }, m.text || m.body || m.text_body || ""))))));
} catch (err) {
  box.replaceChildren();
  showError(box, err);
}
