// The confirmation of an irreversible action: a DSFR modal (opened by DSFR's script: focus
// kept inside, Échap cancels), with a reason field when the action asks one. Never confirm().
import { clearErrors, h, markField } from "/static/js/api.js";

let count = 0;

/**
 * Ask before an irreversible action. `reason`: {label, hint, required} adds a text field.
 * Resolves to null when cancelled, else {reason} (the text typed, trimmed; "" without field).
 */
export function confirmAction({ title, text, confirmLabel, reason = null }) {
  const id = `confirmation-${++count}`;
  return new Promise((resolve) => {
    const field = reason
      ? h("div", { class: "fr-input-group" },
          h("label", { class: "fr-label", for: `${id}-reason` }, reason.label, reason.hint ? h("span", { class: "fr-hint-text" }, reason.hint) : null),
          h("textarea", { class: "fr-input", id: `${id}-reason`, name: "reason", rows: 3, maxlength: 2000 }))
      : null;
    const ok = h("button", { class: "fr-btn", type: "submit", "data-confirm": "" }, confirmLabel);
    const cancel = h("button", { class: "fr-btn fr-btn--secondary", type: "button", "data-cancel": "" }, "Annuler");
    const close = h("button", { class: "fr-btn--close fr-btn", type: "button", title: "Fermer la fenêtre", "aria-controls": id }, "Fermer");
    const form = h("form", { novalidate: true, class: "fr-modal__body" },
      h("div", { class: "fr-modal__header" }, close),
      h("div", { class: "fr-modal__content" }, h("h2", { class: "fr-modal__title", id: `${id}-title` }, title), h("p", {}, text), field),
      h("div", { class: "fr-modal__footer" }, h("ul", { class: "fr-btns-group fr-btns-group--right fr-btns-group--inline-reverse fr-btns-group--inline-lg" }, h("li", {}, ok), h("li", {}, cancel))));
    const dialog = h("dialog", { id, class: "fr-modal cr-modal", "aria-labelledby": `${id}-title`, "data-confirmation": "" },
      h("div", { class: "fr-container fr-container--fluid fr-container-md" }, h("div", { class: "fr-grid-row fr-grid-row--center" }, h("div", { class: "fr-col-12 fr-col-md-8 fr-col-lg-6" }, form))));
    let settled = false;
    const done = (answer) => {
      if (settled) return;
      settled = true;
      resolve(answer);
      if (dialog.classList.contains("fr-modal--opened")) window.dsfr(dialog).modal.conceal();
      else dialog.remove();
    };
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      clearErrors(form);
      const text = field ? form.reason.value.trim() : "";
      if (reason?.required && !text) {
        markField(form.reason, reason.missing || "Ce champ est obligatoire.");
        return form.reason.focus();
      }
      done({ reason: text });
    });
    cancel.addEventListener("click", () => done(null));
    // DSFR closes it (the close button, Échap, a click outside) and gives the focus back.
    dialog.addEventListener("dsfr.conceal", () => {
      done(null);
      setTimeout(() => dialog.remove(), 300);
    });
    document.body.append(dialog);
    const open = () => {
      if (!dialog.dataset.frJsModal) return requestAnimationFrame(open); // DSFR has not taken it yet
      window.dsfr(dialog).modal.disclose();
      setTimeout(() => (field ? form.reason : cancel).focus(), 50);
      // Shown once DSFR's fade-in is over (`data-ready`: what tests and axe wait for).
      requestAnimationFrame(() => requestAnimationFrame(() =>
        Promise.all(dialog.getAnimations({ subtree: true }).map((a) => a.finished)).catch(() => {}).then(() => dialog.setAttribute("data-ready", ""))));
    };
    open();
  });
}
