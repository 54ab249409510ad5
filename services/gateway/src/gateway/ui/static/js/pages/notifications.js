// My notifications, grouped by dossier (newest first), each group opening its dossier;
// "Tout marquer comme lu"; a dossier's notifications are read when it is opened (dossier pages).
import { api, fmtDateTime, h, itemsOf, requireLogin, showError } from "/static/js/api.js";
import { renderLayout } from "/static/js/layout.js";

requireLogin();
const box = document.getElementById("notifications");

async function read(path) {
  await api(path, { method: "POST" });
  await load();
  renderLayout();
}

function item(n) {
  const unread = !n.read_at && !n.read;
  return h("li", { class: "fr-mb-2w", "data-notification": n.id },
    h("div", { class: `fr-callout ${unread ? "" : "fr-callout--beige-gris-galet"}` },
      h("h3", { class: "fr-callout__title fr-h6" }, unread ? "Non lue — " : "", n.title || "Notification"),
      h("p", { class: "fr-callout__text" }, n.body || ""),
      h("p", { class: "fr-text--sm" }, fmtDateTime(n.created_at)),
      unread ? h("button", { class: "fr-btn fr-btn--sm fr-btn--tertiary", type: "button", onclick: () => read(`/api/notifier/notifications/${n.id}/read`) }, "Marquer comme lue") : null));
}

async function load() {
  try {
    const items = itemsOf(await api("/api/notifier/notifications?limit=100"));
    if (!items.length) return box.replaceChildren(h("p", {}, "Aucune notification."));
    const groups = new Map(); // by dossier, in the order of their newest notification
    for (const n of items) {
      const key = n.filing_id || "";
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(n);
    }
    const { count: unread } = await api("/api/notifier/notifications/unread-count");
    const titles = Object.fromEntries(await Promise.all([...groups.keys()].filter(Boolean).map((f) =>
      api(`/api/filings/${f}`).then((d) => [f, d]).catch(() => [f, null]))));
    box.replaceChildren(
      h("p", {}, `${unread} notification${unread > 1 ? "s" : ""} non lue${unread > 1 ? "s" : ""}.`),
      unread ? h("button", { class: "fr-btn fr-btn--secondary fr-mb-4w", type: "button", id: "read-all", onclick: () => read("/api/notifier/notifications/read-all") }, "Tout marquer comme lu") : null,
      ...[...groups.entries()].map(([filing, list], i) => {
        const d = titles[filing];
        const title = filing ? `Dossier ${d?.reference ? `n° ${d.reference} ` : ""}« ${d?.title || "sans intitulé"} »` : "Votre compte";
        const link = list.find((n) => n.link)?.link;
        return h("section", { class: "fr-mb-4w", "data-group": filing || "compte", "aria-labelledby": `group-${i}` },
          h("h2", { class: "fr-h5", id: `group-${i}` }, title),
          link ? h("p", {}, h("a", { class: "fr-link", href: link }, "Ouvrir le dossier")) : null,
          h("ul", { class: "fr-raw-list" }, list.map(item)));
      }),
    );
  } catch (err) {
    box.replaceChildren();
    showError(box, err);
  }
}
load();
