import { api, clearErrors, fmtDate, h, itemsOf, showError } from "/static/js/api.js";
import "/static/js/layout.js";
import { REPERTOIRES } from "/static/js/labels.js";
import { ROUTES } from "/static/js/fiche-view.js";

const form = document.getElementById("search-form");
const results = document.getElementById("results");
const pages = document.getElementById("pages");
const FIELDS = ["q", "certifier", "repertoire", "level", "state", "nsf", "rome", "access_route"];
const PAGE = 20;
const STATES = { active: "Enregistrée", expired: "Enregistrement échu", withdrawn: "Enregistrement retiré" };
form.access_route.append(...ROUTES.map(([value, label]) => h("option", { value }, label)));
const params = new URLSearchParams(location.search);
for (const field of FIELDS) form[field].value = params.get(field) || "";
let offset = Math.max(0, Number.parseInt(params.get("offset") || "0", 10) || 0);

function card(c) {
  return h("li", { class: "fr-mb-2w" }, h("div", { class: "fr-card fr-card--horizontal fr-enlarge-link" }, h("div", { class: "fr-card__body" }, h("div", { class: "fr-card__content" },
    h("h2", { class: "fr-card__title" }, h("a", { href: `/registre/${encodeURIComponent(c.number)}` }, `${c.number} — ${c.title}`)),
    h("p", { class: "fr-card__desc" }, `${REPERTOIRES[c.repertoire] || c.repertoire}${c.qualification_level ? ` — niveau ${c.qualification_level}` : ""}${c.is_cqp ? " — CQP" : ""}${c.certifier?.name ? ` — ${c.certifier.name}` : ""}`),
    h("p", { class: "fr-card__detail" }, `${STATES[c.status] || c.status} du ${fmtDate(c.registration_start)} au ${fmtDate(c.registration_end)}`)))));
}

// more: true when more than `total` certifications match (the API stops counting there, and
// `total` is then at least the end of this page).
function pager(total, more) {
  const links = [];
  const go = (to, label) => h("button", { class: "fr-btn fr-btn--secondary fr-mr-2w", type: "button", onclick: () => { offset = to; search(); } }, label);
  if (offset > 0) links.push(go(Math.max(0, offset - PAGE), "Page précédente"));
  if (more || offset + PAGE < total) links.push(go(offset + PAGE, "Page suivante"));
  pages.replaceChildren(...links);
}

async function search() {
  const query = new URLSearchParams();
  for (const field of FIELDS) if (form[field].value.trim()) query.set(field, form[field].value.trim());
  const shown = new URLSearchParams(query);
  if (offset) shown.set("offset", String(offset));
  history.replaceState(null, "", `/registre${shown.size ? "?" + shown : ""}`);
  query.set("limit", String(PAGE));
  query.set("offset", String(offset));
  clearErrors(form);
  results.replaceChildren(h("p", {}, "Recherche…"));
  pages.replaceChildren();
  try {
    const data = await api(`/api/review/registry?${query}`, { auth: false });
    const items = itemsOf(data);
    const total = data?.total ?? items.length;
    const more = data?.total_is_lower_bound === true;
    const range = items.length ? ` (${offset + 1} à ${offset + items.length})` : "";
    const count = more
      ? `Plus de ${total.toLocaleString("fr-FR")} certifications trouvées`
      : `${total.toLocaleString("fr-FR")} certification${total > 1 ? "s" : ""} trouvée${total > 1 ? "s" : ""}`;
    results.replaceChildren(
      h("p", { role: "status" }, `${count}${range}`),
      items.length ? h("ul", { class: "fr-raw-list" }, items.map(card)) : h("p", {}, "Aucune certification ne correspond à votre recherche."),
    );
    pager(total, more);
  } catch (err) {
    results.replaceChildren();
    // A code that does not exist is named next to its field.
    showError(err?.status === 422 ? form : results, err);
  }
}
form.addEventListener("submit", (e) => {
  e.preventDefault();
  offset = 0;
  search();
});
search();
