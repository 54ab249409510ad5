import { api, fmtDateTime, h, itemsOf, requireLogin, showError } from "/static/js/api.js";
import { renderLayout } from "/static/js/layout.js";

requireLogin();
const box = document.getElementById("notifications");
async function load() {
  try {
    const items = itemsOf(await api("/api/notifier/notifications"));
    if (!items.length) return box.replaceChildren(h("p", {}, "Aucune notification."));
    box.replaceChildren(h("ul", { class: "fr-raw-list" }, items.map((n) => {
      const unread = !n.read_at && !n.read;
      const li = h("li", { class: "fr-mb-3w" }, h("div", { class: `fr-callout ${unread ? "" : "fr-callout--beige-gris-galet"}` },
        h("h2", { class: "fr-callout__title fr-h6" }, unread ? "Non lue — " : "", n.title || n.subject || "Notification"),
        h("p", { class: "fr-callout__text" }, n.body || n.message || ""),
        h("p", { class: "fr-text--sm" }, fmtDateTime(n.created_at)),
        n.link || n.url ? h("a", { class: "fr-link", href: n.link || n.url }, "Ouvrir le dossier") : null,
        unread ? h("button", { class: "fr-btn fr-btn--sm fr-btn--secondary fr-ml-2w", type: "button", onclick: async () => {
          await api(`/api/notifier/notifications/${n.notification_id || n.id}/read`, { method: "POST" });
          await load();
          renderLayout();
        } }, "Marquer comme lue") : null));
      return li;
    })));
  } catch (err) {
    box.replaceChildren();
    showError(box, err);
  }
}
load();
