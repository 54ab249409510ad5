import { actionDone, api, clearErrors, intentKey, requireLogin, setBusy, showError, showFieldErrors } from "/static/js/api.js";
import "/static/js/layout.js";

requireLogin();
const form = document.getElementById("filing-form");
const rep = () => form.querySelector("input[name=repertoire]:checked")?.value;

function refresh() {
  document.getElementById("level-group").classList.toggle("cr-hidden", rep() !== "rncp");
  document.getElementById("cqp_filed_by").classList.toggle("cr-hidden", !form.is_cqp.checked);
  document.getElementById("standards-group").classList.toggle("cr-hidden", rep() !== "rs");
}
form.addEventListener("change", refresh);
refresh();

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const errors = [];
  const title = form.title.value.trim();
  if (!title) errors.push({ field: "title", msg: "Saisissez l’intitulé de la certification." });
  if (rep() === "rncp" && !form.qualification_level.value)
    errors.push({ field: "qualification_level", msg: "Une demande au RNCP indique obligatoirement un niveau de qualification (1 à 8)." });
  const filedBy = form.querySelector("input[name=cqp_filed_by]:checked")?.value;
  if (form.is_cqp.checked && !filedBy) errors.push({ field: "cqp_filed_by", msg: "Indiquez qui dépose le CQP." });
  if (errors.length) return showFieldErrors(form, errors, { alertTitle: "Le formulaire contient des erreurs" });
  const body = { repertoire: rep(), title, is_cqp: form.is_cqp.checked, rests_on_standards: rep() === "rs" && form.rests_on_standards.checked };
  if (rep() === "rncp") body.qualification_level = Number(form.qualification_level.value);
  if (form.is_cqp.checked) body.cqp_filed_by = filedBy;
  if (form.summary.value.trim()) body.summary = form.summary.value.trim();
  const button = form.querySelector("button[type=submit]");
  setBusy(button, true, "Création…");
  try {
    const filing = await api("/api/filings", { method: "POST", json: body, idempotencyKey: intentKey("create-filing", body) });
    actionDone("create-filing");
    location.assign(`/dossiers/${filing.filing_id}`);
  } catch (err) {
    showError(form, err, { alertTitle: "Le formulaire contient des erreurs" });
    setBusy(button, false);
  }
});
