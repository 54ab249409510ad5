// Account creation: the account (identity), then the entity application with its
// pieces (entities, onboarding token), then its submission.
import { actionDone, api, ApiError, clearErrors, h, intentKey, markField, messageOf, setBusy, showAlert, showError, showFieldErrors, todayIso, upload } from "/static/js/api.js";
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

function refresh() {
  document.getElementById("siret-block").classList.toggle("cr-hidden", !hasSiret());
  document.getElementById("address-block").classList.toggle("cr-hidden", hasSiret());
  document.getElementById("denomination-hint").textContent = joining()
    ? "Votre organisme est déjà inscrit : sa dénomination est connue."
    : "Obligatoire : votre organisme n’est pas encore inscrit sur la plateforme.";
  document.getElementById("mandate-block").classList.toggle("cr-hidden", !mandateRequired());
  const params = new URLSearchParams();
  const delegate = resumed ? state().name || "" : `${form.first_name.value.trim()} ${form.last_name.value.trim()}`.trim();
  if (delegate) params.set("delegate", delegate);
  if (form.job_title.value.trim()) params.set("delegate_role", form.job_title.value.trim());
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
        knownSiret = value;
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

function localErrors() {
  const v = (name) => form[name].value.trim();
  const errors = [];
  if (!v("legal_form")) errors.push({ field: "legal_form", msg: "Choisissez la forme juridique de votre organisme." });
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
    else if (date > todayIso()) errors.push({ field: "mandate_date", msg: "La date de signature ne peut pas être dans le futur." });
    else {
      const limit = new Date();
      limit.setMonth(limit.getMonth() - 3);
      if (new Date(date + "T23:59:59") < limit) errors.push({ field: "mandate_date", msg: "La délégation doit dater de moins de 3 mois." });
    }
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
  form.siret.value = normaliseSiret(form.siret.value);
  const errors = localErrors();
  if (errors.length) return showFieldErrors(form, errors, { alertTitle: "Le formulaire contient des erreurs" });
  const button = form.querySelector("button[type=submit]");
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
        legal_form: v("legal_form"),
        has_siret: hasSiret(),
        named_on_legal_proof: form.named_on_legal_proof.checked,
      };
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
  person.classList.add("cr-hidden");
  person.disabled = true;
  document.getElementById("resume-notice").classList.remove("cr-hidden");
  document.querySelector("h1").textContent = "Déclarer votre organisme";
  // The introduction speaks of the personal details, the footer of signing in: not asked here.
  document.querySelector("h1 + p")?.classList.add("cr-hidden");
  form.parentElement.querySelector(":scope > p.fr-mt-4w")?.classList.add("cr-hidden");
  document.title = document.title.replace("Créer un compte", "Déclarer votre organisme");
  form.querySelector("button[type=submit]").textContent = "Envoyer la déclaration";
}

refresh();
