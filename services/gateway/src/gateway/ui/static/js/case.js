// A case's timeline and dialogue thread (review), shared by the portal and the back office.
import { api, clearErrors, daysLeft, fmtDate, fmtDateTime, h, itemsOf, markField, setBusy, showError } from "/static/js/api.js";
import { OPINIONS, STATUSES } from "/static/js/labels.js";

const label = (s) => (STATUSES[s] ? STATUSES[s][0] : s);

export async function loadCase(id) {
  try {
    return await api(`/api/review/cases/${id}`);
  } catch {
    return null;
  }
}

export async function timeline(id, data) {
  const c = data || (await loadCase(id));
  if (!c) return h("p", {}, "Le suivi sera disponible dès la prise en charge du dossier par France compétences.");
  const box = h("div", {});
  const requests = (c.open_requests || c.requests || []).filter((r) => !r.status || r.status === "open");
  for (const r of requests) {
    box.append(h("div", { class: "fr-callout fr-mb-3w" },
      h("h3", { class: "fr-callout__title fr-h6" }, "Demande en cours"),
      h("p", { class: "fr-callout__text" }, r.message || ""),
      r.items?.length ? h("ul", {}, r.items.map((i) => h("li", {}, i.question || i.label || i.doc_type))) : null,
      r.due_date ? h("p", {}, h("strong", {}, `Échéance : ${fmtDate(r.due_date)}`), ` (${daysLeft(r.due_date)})`) : null));
  }
  if (c.decision) {
    const d = c.decision;
    box.append(h("div", { class: `fr-alert fr-alert--${d.register || d.registered ? "success" : "info"} fr-mb-3w` },
      h("h3", { class: "fr-alert__title" }, d.register || d.registered ? `Certification enregistrée${d.number ? ` sous le numéro ${d.number}` : ""}` : "Enregistrement refusé"),
      d.motivation ? h("p", {}, d.motivation) : null,
      d.valid_until || d.ends_on ? h("p", {}, `Enregistrée jusqu’au ${fmtDate(d.valid_until || d.ends_on)}.`) : null,
      d.appeal_deadline ? h("p", {}, `Recours contentieux possible devant le ${d.appeal_court || "tribunal administratif de Paris"} jusqu’au ${fmtDate(d.appeal_deadline)}.`) : null));
  }
  if (c.opinion) {
    const o = c.opinion;
    box.append(h("p", {}, h("strong", {}, "Avis de la commission : "), OPINIONS[o.opinion] || o.opinion, o.session_date ? ` (séance du ${fmtDate(o.session_date)})` : ""));
  }
  const events = c.timeline || c.events || [];
  if (!events.length) box.append(h("p", {}, "Aucun évènement pour l’instant."));
  else
    box.append(h("ol", { class: "cr-timeline" }, events.map((e) => h("li", {},
      h("p", { class: "fr-text--sm fr-mb-0" }, fmtDateTime(e.at || e.occurred_at || e.created_at), e.actor_name || e.by_name ? ` — ${e.actor_name || e.by_name}` : ""),
      h("p", { class: "fr-mb-0" }, h("strong", {}, e.label || label(e.to || e.status || e.type || ""))),
      e.reason || e.why || e.message ? h("p", { class: "fr-text--sm" }, e.reason || e.why || e.message) : null))));
  return box;
}

export async function dialogue(id, staff) {
  const box = h("div", { id: "dialogue" });
  async function fill() {
    let items = [];
    try {
      items = itemsOf(await api(`/api/review/cases/${id}/messages`), "messages");
    } catch {
      box.replaceChildren(h("p", {}, "Les échanges seront disponibles dès la prise en charge du dossier."));
      return;
    }
    const list = items.length
      ? h("ul", { class: "cr-thread" }, items.map((m) => h("li", { class: m.from_staff || m.author_is_staff || m.is_staff ? "cr-staff" : "" },
          h("p", { class: "fr-text--sm fr-mb-1w" }, h("strong", {}, m.author_name || m.author || (m.from_staff ? "France compétences" : "Déposant")), ` — ${fmtDateTime(m.created_at || m.at)}`),
          h("p", { class: "fr-mb-0" }, m.body || m.text || m.message))))
      : h("p", {}, "Aucun message pour l’instant.");
    const form = h("form", { novalidate: true, class: "fr-mt-3w" },
      h("div", { class: "fr-input-group" }, h("label", { class: "fr-label", for: "message-body" }, staff ? "Écrire au déposant" : "Écrire à France compétences"), h("textarea", { class: "fr-input", id: "message-body", name: "body", rows: 4 })),
      h("button", { class: "fr-btn fr-btn--secondary", type: "submit" }, "Envoyer le message"));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form);
      const body = form.body.value.trim();
      if (!body) return markField(form.body, "Saisissez votre message."), form.body.focus();
      const button = form.querySelector("button");
      setBusy(button, true, "Envoi…");
      try {
        await api(`/api/review/cases/${id}/messages`, { method: "POST", json: { body } });
        await fill();
        document.getElementById("message-body")?.focus();
      } catch (err) {
        setBusy(button, false);
        showError(form, err);
      }
    });
    box.replaceChildren(list, form);
  }
  await fill();
  return box;
}
