// Money as integer céntimos in the browser (never floats); the API speaks "12.50" strings.
export function toCents(value) {
  const text = String(value ?? "").trim().replace(",", ".");
  if (!/^\d{1,7}(\.\d{1,2})?$/.test(text)) return null;
  const [soles, cents = ""] = text.split(".");
  return Number(soles) * 100 + Number((cents + "00").slice(0, 2));
}

// What the API accepts ("25.50") for an amount typed as "25,50" or "25.5"; text that is not an
// amount goes as typed, for the API to explain.
export function amountText(value) {
  const cents = toCents(value);
  return cents === null ? String(value ?? "").trim() : fromCents(cents);
}

export function fromCents(cents) {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

export function fmt(value) {
  const cents = typeof value === "number" ? value : toCentsSigned(value);
  if (cents === null) return "—";
  const text = fromCents(Math.abs(cents));
  const [soles, dec] = text.split(".");
  const grouped = soles.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${cents < 0 ? "-" : ""}S/ ${grouped}.${dec}`;
}

export function toCentsSigned(value) {
  const text = String(value ?? "").trim();
  if (text.startsWith("-")) {
    const c = toCents(text.slice(1));
    return c === null ? null : -c;
  }
  return toCents(text);
}

// ROUND_HALF_UP of cents * pct / 100, pct given as a decimal string with up to 2 decimals.
export function percentOf(cents, pct) {
  const p = toCents(pct); // pct * 100
  if (p === null) return null;
  return Math.floor((cents * p + 5000) / 10000);
}
