// DSFR tabs (fr-tabs: the DSFR script gives them their keyboard behaviour — arrows, Home,
// End), deep-linkable: the URL's #hash names the tab shown (#pieces), a link to an element
// inside a panel (#piece-criminal_record) shows that panel first, and the tab chosen is
// written back into the hash so that a reload or a shared link opens it again.
import { h } from "/static/js/api.js";

const panelOf = (id) => document.getElementById(`panel-${id}`);

/** The tabs: `items` is [{id, label, content}] ; the one the hash names is selected. */
export function tabs(label, items) {
  const wanted = location.hash.slice(1);
  const selected = items.some((t) => t.id === wanted) ? wanted : items[0].id;
  const root = h("div", { class: "fr-tabs fr-mt-4w", id: "dossier-tabs" },
    h("ul", { class: "fr-tabs__list", role: "tablist", "aria-label": label }, items.map((t) => h("li", { role: "presentation" },
      h("button", { type: "button", id: `tab-${t.id}`, class: "fr-tabs__tab", tabindex: t.id === selected ? "0" : "-1", role: "tab",
        "aria-selected": t.id === selected ? "true" : "false", "aria-controls": `panel-${t.id}`, "data-tab": t.id }, t.label)))),
    items.map((t) => h("div", { id: `panel-${t.id}`, class: `fr-tabs__panel${t.id === selected ? " fr-tabs__panel--selected" : ""}`,
      role: "tabpanel", "aria-labelledby": `tab-${t.id}`, tabindex: "0" }, t.content)));
  // DSFR selects a tab on click and with the arrows: keep the hash in step.
  const remember = (id) => { if (id && location.hash.slice(1) !== id) history.replaceState(history.state, "", `#${id}`); };
  root.addEventListener("click", (e) => remember(e.target.closest?.("[data-tab]")?.dataset.tab));
  root.addEventListener("keyup", (e) => remember(document.activeElement?.closest?.("[data-tab]")?.dataset.tab));
  return root;
}

/** Shows the tab named `id`, or the panel holding the element `id`; true when found. */
export function reveal(id, { scroll = true } = {}) {
  if (!id) return false;
  const tab = document.getElementById(`tab-${id}`);
  const target = tab ? panelOf(id) : document.getElementById(id);
  if (!target) return false;
  const panel = target.closest(".fr-tabs__panel");
  if (panel && !panel.classList.contains("fr-tabs__panel--selected")) {
    document.getElementById(panel.getAttribute("aria-labelledby"))?.click();
  }
  if (scroll && !tab) {
    // once the panel is shown (DSFR discloses it on the next frame)
    requestAnimationFrame(() => requestAnimationFrame(() => {
      target.scrollIntoView({ block: "start" });
      if (target.matches("input, textarea, select, button, [tabindex]")) target.focus({ preventScroll: true });
    }));
  }
  return true;
}

if (!window.__certregTabs) {
  window.__certregTabs = true;
  // An in-page link to something in a hidden panel shows that panel.
  document.addEventListener("click", (e) => {
    const link = e.target.closest?.("a[href^='#']");
    const id = link?.getAttribute("href").slice(1);
    if (!id || !document.getElementById(id)?.closest(".fr-tabs__panel, .fr-tabs")) return;
    if (reveal(id)) {
      e.preventDefault();
      if (!document.getElementById(`tab-${id}`)) history.replaceState(history.state, "", `#${id}`);
    }
  });
  window.addEventListener("hashchange", () => reveal(location.hash.slice(1)));
}
