// A published certification of the public registry (GET /api/review/registry/{number}).
import { api, h, pathId, setTitle, showError } from "/static/js/api.js";
import "/static/js/layout.js";
import { ficheView } from "/static/js/fiche-view.js";

const box = document.getElementById("record");
const number = pathId();
try {
  const c = await api(`/api/review/registry/${encodeURIComponent(number)}`, { auth: false });
  setTitle(`${c.number} — ${c.title}`);
  document.getElementById("crumb").textContent = c.number;
  box.replaceChildren(...ficheView(c));
} catch (err) {
  box.replaceChildren(h("h1", {}, "Fiche de certification"));
  showError(box, err);
}
