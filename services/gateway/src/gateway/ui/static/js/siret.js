// SIRET checks as the entities service applies them (DESIGN.md step 1.3).

export function normaliseSiret(raw) {
  return (raw || "").replace(/\s+/g, "");
}

function luhn(digits) {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** null when valid, else why (in French). */
export function siretProblem(raw) {
  const s = normaliseSiret(raw);
  if (!s) return "Saisissez le numéro SIRET.";
  if (!/^\d+$/.test(s)) return "Le SIRET ne contient que des chiffres.";
  if (s.length !== 14) return `Le SIRET compte 14 chiffres (${s.length} saisi${s.length > 1 ? "s" : ""}).`;
  if (s.startsWith("356000000")) {
    // La Poste: the sum of the digits is a multiple of 5.
    const sum = [...s].reduce((a, c) => a + Number(c), 0);
    return sum % 5 === 0 ? null : "Ce SIRET de La Poste n’est pas valide : vérifiez les chiffres saisis.";
  }
  return luhn(s) ? null : "Ce SIRET n’est pas valide (clé de contrôle incorrecte) : vérifiez les chiffres saisis.";
}
