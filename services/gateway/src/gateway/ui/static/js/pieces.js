// A piece's history, the same on both sides: every version with its date, who sent it, its
// size and its SHA-256 fingerprint; each one can be downloaded (older ones included).
import { api, download, fmtDateTime, fmtSize, h, itemsOf, showError } from "/static/js/api.js";

/** account id → "Prénom Nom" for the members of the entity (empty when unreadable). */
export async function memberNames(entityId) {
  const names = new Map();
  if (!entityId) return names;
  try {
    const entity = await api(`/api/entities/entities/${entityId}`);
    for (const m of entity.members || []) names.set(m.account_id, `${m.first_name} ${m.last_name}`);
  } catch {
    /* names unknown: the history says "un membre de l’organisme" */
  }
  return names;
}

/** doc_type → {versions} from GET /api/filings/{id}/documents. */
export async function piecesByType(id) {
  try {
    return new Map(itemsOf(await api(`/api/filings/${id}/documents`)).map((p) => [p.doc_type, p]));
  } catch {
    return new Map();
  }
}

/** The versions of one piece, newest first, in a disclosure ("Historique des versions (n)"). */
export function pieceHistory(id, piece, names, label) {
  const versions = piece?.versions || [];
  if (!versions.length) return null;
  const who = (v) => names.get(v.uploaded_by) || "un membre de l’organisme";
  const state = (v) => (v.current ? "en vigueur" : v.removed_at ? `retirée le ${fmtDateTime(v.removed_at)}` : `remplacée le ${fmtDateTime(v.superseded_at)}`);
  const rows = versions.map((v) => h("tr", { "data-version": v.version },
    h("td", {}, `v${v.version}`),
    h("td", {}, h("button", { class: "fr-btn fr-btn--tertiary-no-outline fr-btn--sm fr-icon-download-line fr-btn--icon-left", type: "button",
      onclick: (e) => download(`/api/filings/${id}/documents/${v.document_id}/content`, v.filename).catch((err) => showError(e.target.closest("td"), err)) },
      v.filename, h("span", { class: "fr-sr-only" }, ` (version ${v.version})`))),
    h("td", {}, fmtDateTime(v.uploaded_at)),
    h("td", {}, who(v)),
    h("td", {}, fmtSize(v.size)),
    h("td", {}, h("code", { class: "fr-text--xs", title: v.sha256 }, `${v.sha256.slice(0, 12)}…`)),
    h("td", {}, `${state(v)}${v.submitted_in_round ? ` ; déposée avec l’envoi n°${v.submitted_in_round}` : " ; pas encore déposée"}`)));
  return h("details", { class: "fr-mt-1w cr-history", "data-history": piece.doc_type },
    h("summary", {}, `Historique des versions (${versions.length})`, h("span", { class: "fr-sr-only" }, ` : ${label || piece.label || piece.doc_type}`)),
    h("div", { class: "fr-table fr-table--sm fr-mb-0 cr-scroll" }, h("table", {},
      h("caption", { class: "fr-sr-only" }, `Versions de la pièce ${label || piece.label || piece.doc_type}`),
      h("thead", {}, h("tr", {}, ["Version", "Fichier", "Déposée le", "Par", "Taille", "Empreinte SHA-256", "État"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows))));
}
