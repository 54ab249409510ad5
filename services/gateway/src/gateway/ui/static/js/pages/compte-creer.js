// Account creation, in three steps (a DSFR stepper): the person first (so that the mandate
// template of step 3 is filled in with their name), the organisation, its pieces. Then the
// account (identity), the entity application with its pieces (entities, onboarding token),
// and its submission. Errors are listed at the top (links to their fields) and next to each field.
import { actionDone, api, ApiError, clearErrors, fmtDate, h, intentKey, markField, messageOf, setBusy, showAlert, showError, showFieldErrors, parisToday, upload } from "/static/js/api.js";
import "/static/js/layout.js";
import { normaliseSiret, siretProblem } from "/static/js/siret.js";

const form = document.getElementById("account-form");
const STATE_KEY = "certreg.onboarding";
const progress = document.getElementById("submit-progress");

function state() {
  try {
    return JSON.parse(sessionStorage.getItem(STATE_KEY)) || {};
  } catch {
    return {};
  }
}
function saveState(s) {
  sessionStorage.setItem(STATE_KEY, JSON.stringify(s));
}

// Back from the login page with a new onboarding token (the account exists, its entity
// application was never sent): only the entity part of the form is asked.
const resumed = Boolean(state().resumed && state().token);

const hasSiret = () => form.querySelector("input[name=has_siret]:checked")?.value === "yes";
const isPublic = () => form.legal_form.value === "public_establishment";
const mandateRequired = () => !joining() && (isPublic() || !form.named_on_legal_proof.checked);
// The SIRET of an entity already on the platform (found by the live lookup): joining it.
let knownSiret = null;
const joining = () => hasSiret() && knownSiret !== null && knownSiret === normaliseSiret(form.siret.value);

const isMinistry = () => form.querySelector("input[name=kind]:checked")?.value === "ministry";
// The name the lookup found for a known SIRET (shown read-only while joining it).
let knownName = null;

function refresh() {
  document.getElementById("siret-block").classList.toggle("cr-hidden", !hasSiret());
  document.getElementById("address-block").classList.toggle("cr-hidden", hasSiret());
  // A ministry is not asked its legal form, nor is an organisation already on the platform.
  document.getElementById("legal-form-block").classList.toggle("cr-hidden", isMinistry() || joining());
  const join = joining();
  if (join) {
    form.denomination.value = knownName;
    form.denomination.readOnly = true;
  } else if (form.denomination.readOnly) {
    form.denomination.readOnly = false;
    form.denomination.value = "";
  }
  document.getElementById("denomination-hint").textContent = join
    ? "Votre organisme est déjà inscrit : sa dénomination est connue et ne peut pas être modifiée ici."
    : "Obligatoire : votre organisme n’est pas encore inscrit sur la plateforme.";
  // Joining: no piece (no Kbis, no delegation), the manager validates.
  document.getElementById("joining-notice").classList.toggle("cr-hidden", !join);
  document.getElementById("legal-existence-block").classList.toggle("cr-hidden", join);
  document.getElementById("named-block").classList.toggle("cr-hidden", join);
  document.getElementById("mandate-block").classList.toggle("cr-hidden", !mandateRequired());
  const params = new URLSearchParams();
  const delegate = resumed ? state().name || "" : `${form.first_name.value.trim()} ${form.last_name.value.trim()}`.trim();
  if (delegate) params.set("delegate", delegate);
  const role = resumed ? "" : form.job_title.value.trim();
  if (role) params.set("delegate_role", role);
  if (form.denomination.value.trim()) params.set("denomination", form.denomination.value.trim());
  if (hasSiret() && !siretProblem(form.siret.value)) params.set("siret", normaliseSiret(form.siret.value));
  document.getElementById("mandate-template").href = `/api/entities/mandate-template.pdf?${params}`;
}
form.addEventListener("change", refresh);
form.addEventListener("input", (e) => {
  if (["first_name", "last_name", "job_title", "denomination", "siret"].includes(e.target.name)) refresh();
});

// Live SIRET hint, and the entity it belongs to when it is already on the platform.
const hint = document.getElementById("siret-hint");
let lookupTimer = null;
form.siret.addEventListener("input", () => {
  const value = normaliseSiret(form.siret.value);
  clearTimeout(lookupTimer);
  if (knownSiret !== null && knownSiret !== value) {
    knownSiret = null;
    refresh();
  }
  if (!value) {
    hint.textContent = "";
    hint.className = "fr-message cr-siret-hint";
    return;
  }
  const problem = siretProblem(value);
  hint.textContent = problem || "SIRET valide.";
  hint.className = `fr-message cr-siret-hint ${problem ? (value.length < 14 ? "fr-message--info" : "fr-message--error") : "fr-message--valid"}`;
  if (!problem) {
    lookupTimer = setTimeout(async () => {
      try {
        const entity = await api(`/api/entities/lookup?siret=${value}`, { auth: false });
        if (normaliseSiret(form.siret.value) !== value) return; // typed on meanwhile
        knownSiret = value;
        knownName = entity.denomination;
        refresh();
        hint.textContent = `SIRET valide : ${entity.denomination} est déjà inscrit sur la plateforme. Votre demande sera validée par son gestionnaire.`;
      } catch {
        /* unknown entity: a new one */
      }
    }, 300);
  }
});
form.siret.addEventListener("blur", () => {
  // The API refuses spaces: strip them where the user can see it.
  form.siret.value = normaliseSiret(form.siret.value);
});

// ---------------------------------------------------------------- the stepper
const steps = [...form.querySelectorAll(".cr-step")];
const TITLES = ["Vos informations personnelles", "Votre organisme", "Pièces justificatives"];
const summary = document.getElementById("error-summary");
let current = 0;
let leaving = false;
let maxBytes = null;

function size(bytes) {
  const mo = bytes / 1024 / 1024;
  return mo >= 1 ? `${Number.isInteger(mo) ? mo : mo.toFixed(1).replace(".", ",")} Mo` : `${Math.round(bytes / 1024)} Ko`;
}

/** The index of the step holding `field` (a name, or a name inside a dotted path). */
function stepOfField(field) {
  const el = form.querySelector(`[name="${field}"]`) || document.getElementById(field);
  const step = el?.closest(".cr-step");
  return step ? steps.indexOf(step) : current;
}

function show(index, { focus = true } = {}) {
  current = Math.max(0, Math.min(index, steps.length - 1));
  steps.forEach((step, i) => step.classList.toggle("cr-hidden", i !== current));
  const last = current === steps.length - 1;
  document.getElementById("step-title").textContent = TITLES[current];
  document.getElementById("step-state").textContent = `Étape ${current + 1} sur ${steps.length}`;
  const bar = document.getElementById("step-bar");
  bar.dataset.frCurrentStep = String(current + 1);
  bar.dataset.frSteps = String(steps.length);
  const next = document.getElementById("step-next");
  next.classList.toggle("cr-hidden", last);
  if (!last) next.replaceChildren(h("span", { class: "fr-text--bold" }, "Étape suivante :"), ` ${TITLES[current + 1]}`);
  document.getElementById("step-back").classList.toggle("cr-hidden", current === 0);
  document.getElementById("step-submit").textContent = last ? (resumed ? "Envoyer la déclaration" : "Créer mon compte") : "Étape suivante";
  refresh();
  if (focus) {
    const title = document.querySelector("#stepper .fr-stepper__title");
    title.tabIndex = -1;
    title.focus();
  }
}
document.getElementById("step-back").addEventListener("click", () => {
  clearErrors(form);
  summary.replaceChildren();
  show(current - 1);
});

/** The errors next to their fields, and listed at the top with a link to each (focused). */
function reportErrors(errors) {
  showFieldErrors(form, errors, { alertTitle: "Le formulaire contient des erreurs" });
  summarise();
}

function summarise() {
  const marked = [...form.querySelectorAll(".fr-error-text")]
    .map((p) => [form.querySelector(`[aria-describedby~="${p.id}"]`), p.textContent])
    .filter(([field]) => field);
  if (!marked.length) return summary.replaceChildren();
  const first = Math.min(...marked.map(([field]) => steps.indexOf(field.closest(".cr-step"))).filter((i) => i >= 0));
  if (Number.isFinite(first) && first !== current) show(first, { focus: false });
  const n = marked.length;
  const target = (field) => (field.tagName === "FIELDSET" ? field.querySelector("input") : field);
  summary.replaceChildren(h("div", { class: "fr-alert fr-alert--error", role: "alert" },
    h("h2", { class: "fr-alert__title" }, n > 1 ? `Le formulaire contient ${n} erreurs` : "Le formulaire contient une erreur"),
    h("ul", {}, marked.map(([field, msg]) => h("li", {}, h("a", {
      href: `#${target(field).id}`,
      onclick: (e) => {
        e.preventDefault();
        show(steps.indexOf(field.closest(".cr-step")), { focus: false });
        target(field).focus();
      },
    }, msg))))));
  summary.focus();
}

// « Afficher le mot de passe »
document.getElementById("password-show").addEventListener("change", (e) => {
  form.password.type = e.target.checked ? "text" : "password";
});

function localErrors() {
  const v = (name) => form[name].value.trim();
  const errors = [];
  if (!isMinistry() && !joining() && !v("legal_form")) errors.push({ field: "legal_form", msg: "Choisissez la forme juridique de votre organisme." });
  if (hasSiret()) {
    const problem = siretProblem(form.siret.value);
    if (problem) errors.push({ field: "siret", msg: problem });
  }
  if (!joining() && !v("denomination")) errors.push({ field: "denomination", msg: "Saisissez la dénomination de votre organisme : elle est obligatoire pour un organisme qui n’est pas encore inscrit." });
  if (!hasSiret()) {
    if (!form["address.street"].value.trim()) errors.push({ field: "address.street", msg: "Saisissez l’adresse postale." });
    if (!form["address.postal_code"].value.trim()) errors.push({ field: "address.postal_code", msg: "Saisissez le code postal." });
    if (!form["address.city"].value.trim()) errors.push({ field: "address.city", msg: "Saisissez la commune." });
  }
  if (!joining() && !form.legal_existence.files.length) errors.push({ field: "legal_existence", msg: "Joignez le justificatif d’existence légale." });
  if (mandateRequired()) {
    if (!form.mandate_delegation.files.length) errors.push({ field: "mandate_delegation", msg: "Joignez la délégation de mandat signée." });
    const date = v("mandate_date");
    if (!date) errors.push({ field: "mandate_date", msg: "Indiquez la date de signature de la délégation." });
    else if (date > parisToday()) errors.push({ field: "mandate_date", msg: "La date de signature ne peut pas être dans le futur." });
    else {
      const limit = new Date();
      limit.setMonth(limit.getMonth() - 3);
      if (new Date(date + "T23:59:59") < limit) errors.push({ field: "mandate_date", msg: `La délégation doit dater de moins de 3 mois : datée du ${fmtDate(date)}, elle est trop ancienne.` });
    }
  }
  for (const name of ["legal_existence", "mandate_delegation"]) {
    const file = form[name].files[0];
    if (file && maxBytes && file.size > maxBytes && !form[name].closest(".cr-hidden"))
      errors.push({ field: name, msg: `Le fichier « ${file.name} » dépasse la taille maximale de ${size(maxBytes)}.` });
  }
  if (resumed) return errors;
  if (!v("first_name")) errors.push({ field: "first_name", msg: "Saisissez votre prénom." });
  if (!v("last_name")) errors.push({ field: "last_name", msg: "Saisissez votre nom." });
  if (!v("job_title")) errors.push({ field: "job_title", msg: "Saisissez votre fonction." });
  if (!v("phone")) errors.push({ field: "phone", msg: "Saisissez votre numéro de téléphone." });
  if (!v("email")) errors.push({ field: "email", msg: "Saisissez votre adresse électronique." });
  else if (form.email.validity.typeMismatch || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v("email")))
    errors.push({ field: "email", msg: "Saisissez une adresse électronique valide, par exemple nom@domaine.fr." });
  if (!form.password.value) errors.push({ field: "password", msg: "Choisissez un mot de passe." });
  return errors;
}

function resendButton(email) {
  const button = h("button", { class: "fr-btn fr-btn--secondary fr-btn--sm fr-mt-1w", type: "button" }, "Renvoyer le lien d’activation");
  button.addEventListener("click", async () => {
    setBusy(button, true, "Envoi…");
    try {
      await api("/api/identity/activation/resend", { method: "POST", json: { email }, auth: false });
      sessionStorage.setItem("certreg.pending_email", email);
      location.assign("/comptes/verifiez-votre-messagerie");
    } catch (err) {
      showError(form, err);
      setBusy(button, false);
    }
  });
  return button;
}

function say(text) {
  progress.classList.remove("cr-hidden");
  progress.textContent = text;
}

async function uploadPiece(s, docType, input, dateInput) {
  const file = input.files[0];
  const query = dateInput ? `?document_date=${encodeURIComponent(dateInput.value)}` : "";
  try {
    await upload(`/api/entities/applications/${s.application_id}/documents/${docType}${query}`, file, { method: "PUT", token: s.token });
  } catch (err) {
    if (err instanceof ApiError && err.status === 422 && Array.isArray(err.detail)) {
      for (const d of err.detail) markField((d.loc || []).includes("document_date") && dateInput ? dateInput : input, d.msg);
    } else if (err instanceof ApiError && [413, 415, 422].includes(err.status)) {
      markField(input, messageOf(err));
    } else throw err;
    (dateInput && dateInput.getAttribute("aria-invalid") ? dateInput : input).focus();
    return false;
  }
  return true;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  summary.replaceChildren();
  form.siret.value = normaliseSiret(form.siret.value);
  const errors = localErrors();
  if (current < steps.length - 1) {
    // Next step, once this one is right.
    const here = errors.filter((e) => stepOfField(e.field) === current);
    if (here.length) return reportErrors(here);
    return show(current + 1);
  }
  if (errors.length) {
    const first = Math.min(...errors.map((e) => stepOfField(e.field)));
    show(first, { focus: false });
    return reportErrors(errors.filter((e) => stepOfField(e.field) === first));
  }
  const button = form.querySelector("button[type=submit]");
  leaving = false;
  setBusy(button, true, "Envoi en cours…");
  const v = (name) => form[name].value.trim();
  let s = state();
  if (!resumed && s.email && s.email !== v("email")) s = {};
  try {
    // 1. The account.
    if (!s.token) {
      say("Création du compte…");
      try {
        const account = await api("/api/identity/accounts", {
          method: "POST",
          auth: false,
          json: { email: v("email"), password: form.password.value, first_name: v("first_name"), last_name: v("last_name"), phone: v("phone"), job_title: v("job_title") },
        });
        s = { token: account.onboarding_token, email: v("email"), account_id: account.account_id };
        saveState(s);
      } catch (err) {
        if (err instanceof ApiError && err.status === 409 && err.code === "email_taken") {
          // The same answer whatever the account's state (active, awaiting validation…):
          // the page offers every way forward, the resend included.
          markField(form.email, "Cette adresse ne peut pas être inscrite.");
          const box = showAlert(form, h("span", {}, "Cette adresse est déjà utilisée. Si vous avez un compte, ", h("a", { href: "/connexion" }, "connectez-vous"), " ou ", h("a", { href: "/mot-de-passe/oublie" }, "demandez un nouveau mot de passe"), ". Si vous attendez le courriel d’activation, nous pouvons vous le renvoyer."), { title: "Adresse déjà utilisée", focus: false });
          box.append(resendButton(v("email")));
          form.email.focus();
          return;
        }
        if (err instanceof ApiError && err.status === 429) {
          showAlert(form, err.detail || "Trop d’inscriptions : patientez avant de réessayer.", { title: "Trop d’inscriptions" });
          return;
        }
        throw err;
      }
    }
    // 2. The entity application.
    if (!s.application_id) {
      say("Déclaration de l’organisme…");
      const body = {
        kind: form.querySelector("input[name=kind]:checked").value,
        has_siret: hasSiret(),
        named_on_legal_proof: form.named_on_legal_proof.checked,
      };
      // Not asked of a ministry (entities records "other") nor when joining a known organisation.
      if (!isMinistry() && !joining()) body.legal_form = v("legal_form");
      if (hasSiret()) body.siret = normaliseSiret(form.siret.value);
      if (v("denomination")) body.denomination = v("denomination");
      if (!hasSiret()) body.address = { street: v("address.street"), postal_code: v("address.postal_code"), city: v("address.city"), country: v("address.country") || "France" };
      let application;
      try {
        application = await api("/api/entities/applications", {
          method: "POST",
          json: body,
          token: s.token,
          idempotencyKey: intentKey("declare-entity", body),
        });
        actionDone("declare-entity");
      } catch (err) {
        if (err instanceof ApiError && err.status === 409 && err.code === "application_exists") {
          // Already sent (from another tab, or just before the login): nothing left to do.
          sessionStorage.removeItem(STATE_KEY);
          return done();
        }
        throw err;
      }
      s.application_id = application.application_id;
      s.uploaded = [];
      saveState(s);
    }
    // 3. The pieces.
    // Joining an entity already on the platform needs no piece.
    const pieces = joining() ? [] : [["legal_existence", form.legal_existence, null]];
    if (mandateRequired()) pieces.push(["mandate_delegation", form.mandate_delegation, form.mandate_date]);
    for (const [docType, input, dateInput] of pieces) {
      say(`Envoi de la pièce « ${input.labels[0].firstChild.textContent.trim()} »…`);
      if (!(await uploadPiece(s, docType, input, dateInput))) {
        progress.classList.add("cr-hidden");
        return;
      }
    }
    // 4. Submission.
    say("Envoi de la demande…");
    const sending = `submit-application:${s.application_id}`;
    await api(`/api/entities/applications/${s.application_id}/submit`, { method: "POST", token: s.token, idempotencyKey: intentKey(sending, null) });
    actionDone(sending);
    sessionStorage.removeItem(STATE_KEY);
    if (resumed) return done();
    sessionStorage.setItem("certreg.pending_email", s.email);
    leaving = true;
    location.assign("/comptes/verifiez-votre-messagerie");
  } catch (err) {
    progress.classList.add("cr-hidden");
    if (err instanceof ApiError && err.status === 401 && s.token) {
      // The onboarding token expired, but the account exists: signing in gives a new one.
      sessionStorage.removeItem(STATE_KEY);
      showAlert(form, h("span", {}, "Le délai pour déclarer votre organisme a expiré. ", h("a", { href: "/connexion" }, "Connectez-vous"), " avec votre adresse électronique et votre mot de passe pour reprendre la déclaration."), { title: "Délai expiré" });
      return;
    }
    showError(form, err, { alertTitle: "Le formulaire contient des erreurs" });
  } finally {
    setBusy(button, false);
    // Stopped here (an error, an address already used…): no stale « Création du compte… ».
    if (!leaving) progress.classList.add("cr-hidden");
    if (!leaving) summarise();
  }
});

// The application is sent (resumed journey: the account already exists, maybe activated).
function done() {
  progress.classList.add("cr-hidden");
  form.classList.add("cr-hidden");
  document.getElementById("resume-notice").classList.add("cr-hidden");
  const box = document.getElementById("resume-done");
  box.classList.remove("cr-hidden");
  box.focus();
}

if (resumed) {
  const person = document.getElementById("person");
  person.closest(".cr-step").remove();
  steps.shift();
  TITLES.shift();
  person.disabled = true;
  document.getElementById("resume-notice").classList.remove("cr-hidden");
  document.querySelector("h1").textContent = "Déclarer votre organisme";
  // The introduction speaks of the personal details, the footer of signing in: not asked here.
  document.querySelector("h1 + p")?.classList.add("cr-hidden");
  form.parentElement.querySelector(":scope > p.fr-mt-4w")?.classList.add("cr-hidden");
  document.title = document.title.replace("Créer un compte", "Déclarer votre organisme");
}

refresh();
show(0, { focus: false });
api("/api/entities/upload-limits", { auth: false })
  .then((limits) => {
    maxBytes = limits.max_bytes;
    document.getElementById("max-size").textContent = `Taille maximale : ${size(maxBytes)} par fichier.`;
  })
  .catch(() => {});
