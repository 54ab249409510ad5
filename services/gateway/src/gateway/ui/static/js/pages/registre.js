import { api, fmtDate, h, itemsOf, showError } from "/static/js/api.js";
import "/static/js/layout.js";
import { REPERTOIRES } from "/static/js/labels.js";

const form = document.getElementById("search-form");
const results = document.getElementById("results");
const params = new URLSearchParams(location.search);
form.q.value = params.get("q") || "";
form.repertoire.value = params.get("repertoire") || "";

async function search() {
  const query = new URLSearchParams();
  if (form.q.value.trim()) query.set("q", form.q.value.trim());
  if (form.repertoire.value) query.set("repertoire", form.repertoire.value);
  history.replaceState(null, "", `/registre${query.size ? "?" + query : ""}`);
  results.replaceChildren(h("p", {}, "Recherche…"));
  try {
    const data = await api(`/api/review/registry?${query}`, { auth: false });
    const items = itemsOf(data);
    results.replaceChildren(
      h("p", { role: "status" }, `${data?.total ?? items.length} certification${(data?.total ?? items.length) > 1 ? "s" : ""} trouvée${(data?.total ?? items.length) > 1 ? "s" : ""}`),
      items.length
        ? h("ul", { class: "fr-raw-list" }, items.map((c) => h("li", { class: "fr-mb-2w" }, h("div", { class: "fr-card fr-card--horizontal fr-enlarge-link" }, h("div", { class: "fr-card__body" }, h("div", { class: "fr-card__content" },
            h("h2", { class: "fr-card__title" }, h("a", { href: `/registre/${encodeURIComponent(c.number)}` }, `${c.number} — ${c.title}`)),
            h("p", { class: "fr-card__desc" }, `${REPERTOIRES[c.repertoire] || c.repertoire}${c.qualification_level ? ` — niveau ${c.qualification_level}` : ""}${c.is_cqp ? " — CQP" : ""}${c.certifier?.name ? ` — ${c.certifier.name}` : ""}`),
            h("p", { class: "fr-card__detail" }, `${c.status === "active" ? "Enregistrée" : "Enregistrement échu"} du ${fmtDate(c.registration_start)} au ${fmtDate(c.registration_end)}`)))))))
        : h("p", {}, "Aucune certification ne correspond à votre recherche."),
    );
  } catch (err) {
    results.replaceChildren();
    showError(results, err);
  }
}
form.addEventListener("submit", (e) => {
  e.preventDefault();
  search();
});
search();
