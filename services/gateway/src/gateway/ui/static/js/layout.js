// The header of every page: who is signed in, the navigation of their roles, the bell.
import { api, currentUser, h, isBackOffice, logout } from "/static/js/api.js";
import { startSessionWatch } from "/static/js/session-ui.js";

function link(href, label, icon, extra = {}) {
  return h("li", {}, h("a", { class: `fr-btn ${icon ? "fr-icon-" + icon : ""}`, href, ...extra }, label));
}

function navItem(href, label) {
  const here = location.pathname === href || (href !== "/" && href !== "/back-office/" && location.pathname.startsWith(href));
  return h("li", { class: "fr-nav__item" }, h("a", { class: "fr-nav__link", href, "aria-current": here ? "page" : null }, label));
}

// The last unread count shown (kept for the tab's next pages): the header shows it at once,
// so that the badge arriving a moment later does not shift the page under a click.
const BELL_KEY = "certreg.bell-count";

function showBellCount(n) {
  sessionStorage.setItem(BELL_KEY, String(n));
  // The header's bell and its copy in the mobile menu.
  document.querySelectorAll("[data-bell]").forEach((el) => el.replaceChildren(
    "Notifications",
    h("span", { class: "fr-badge fr-badge--sm fr-badge--info fr-badge--no-icon cr-bell-count", "data-bell-count": "", text: String(n) }),
    h("span", { class: "fr-sr-only" }, ` non lue${n > 1 ? "s" : ""}`),
  ));
  document.querySelector("#tools-links [data-bell-count]")?.setAttribute("id", "bell-count");
}

/** The bell's unread count asked again and shown in place (after notifications are read):
 * the header is not drawn again, nothing else on the page moves. */
export function refreshBell() {
  return api("/api/notifier/notifications/unread-count")
    .then((d) => showBellCount(d?.count || 0))
    .catch(() => {});
}

export function renderLayout() {
  const user = currentUser();
  const tools = document.getElementById("tools-links");
  const nav = document.getElementById("nav-list");
  const back = isBackOffice();
  tools.replaceChildren();
  nav.replaceChildren();
  if (back) {
    nav.append(navItem("/back-office/", "Tableau de bord"));
    if (user?.isStaff) {
      const r = user.roles;
      if (r.some((x) => ["reviewer", "instructor", "director", "commission"].includes(x))) nav.append(navItem("/back-office/dossiers", "Dossiers"));
      if (r.some((x) => ["commission", "director"].includes(x))) nav.append(navItem("/back-office/commission", "Commission"));
      if (r.includes("director")) nav.append(navItem("/back-office/journal-officiel", "Journal officiel"));
      if (r.some((x) => ["reviewer", "instructor", "director", "commission"].includes(x))) {
        nav.append(navItem("/back-office/partenaires-en-retard", "Partenaires déclarés en retard"));
      }
      if (r.includes("si_admin")) {
        nav.append(navItem("/back-office/demandes-de-compte", "Demandes de compte"));
        nav.append(navItem("/back-office/agents", "Agents"));
        nav.append(navItem("/back-office/courriels", "Courriels envoyés"));
      }
    }
  } else {
    nav.append(navItem("/", "Accueil"));
    if (user) nav.append(navItem("/dossiers", "Mes dossiers"));
    if (user?.roles.includes("entity_manager")) {
      nav.append(navItem("/entite/demandes", "Demandes de mon entité"));
      nav.append(navItem("/entite/membres", "Mon organisme"));
    }
    nav.append(navItem("/registre", "Registre public"));
  }
  if (!user) sessionStorage.removeItem(BELL_KEY); // no one's count for the next one signed in
  if (user) {
    // The bell, for the portal's users and the agents alike (each their own page).
    const bell = h("a", { class: "fr-btn fr-icon-notification-3-line", href: back ? "/back-office/notifications" : "/notifications", id: "bell", "data-bell": "" }, "Notifications");
    tools.append(h("li", {}, bell));
    const known = sessionStorage.getItem(BELL_KEY);
    if (known !== null) showBellCount(Number(known));
    refreshBell();
    // Who is signed in: plain text, not a button that does nothing.
    tools.append(h("li", {}, h("p", { class: "cr-header-user fr-icon-account-circle-line", id: "header-user", text: user.name || user.email })));
    const out = h("button", { class: "fr-btn fr-icon-logout-box-r-line", type: "button" }, "Se déconnecter");
    out.addEventListener("click", () => {
      logout();
      location.assign(back ? "/back-office/connexion" : "/");
    });
    tools.append(h("li", {}, out));
  } else if (back) {
    tools.append(link("/back-office/connexion", "Se connecter", "lock-line"));
  } else {
    tools.append(link("/connexion", "Se connecter", "lock-line"));
    tools.append(link("/comptes/creer", "Créer un compte", "user-add-line"));
  }
  // The mobile menu repeats the tool links (DSFR pattern).
  const menuLinks = document.querySelector(".fr-header__menu-links");
  if (menuLinks) {
    const copy = tools.cloneNode(true);
    copy.removeAttribute("id");
    copy.querySelectorAll("[id]").forEach((el) => el.removeAttribute("id"));
    copy.querySelectorAll("button").forEach((b, i) => b.addEventListener("click", () => tools.querySelectorAll("button")[i]?.click()));
    menuLinks.replaceChildren(copy);
  }
}

renderLayout();
startSessionWatch();
