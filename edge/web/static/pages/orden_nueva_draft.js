// The new-order form's draft in sessionStorage (a reload or an expired session brings back what
// was typed) and the sale's Idempotency-Key.
import { $$ } from "../lib/dom.js";

const DRAFT = "labred.draft.order";
// One Idempotency-Key per sale: a repeat after a lost answer (network cut, reload) returns the
// order already registered instead of selling it twice. Dropped once the sale is done.
const SALE_KEY = "labred.draft.order.key";

export function saleKey() {
  let key = sessionStorage.getItem(SALE_KEY);
  if (!key) {
    const bytes = crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs https
    key = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    sessionStorage.setItem(SALE_KEY, key);
  }
  return key;
}

// The sale is done (or dropped with F3): neither its draft nor its key serve the next one.
export function forgetSale() {
  sessionStorage.removeItem(DRAFT);
  sessionStorage.removeItem(SALE_KEY);
}

// The registered sale answered "key reused" (its cart changed since): a new key for a new try.
export function forgetSaleKey() {
  sessionStorage.removeItem(SALE_KEY);
}

export function saveDraft(form, state) {
  const fields = {};
  for (const el of form.elements) {
    if (!el.name || el.type === "password") continue;
    if (el.type === "radio" && !el.checked) continue;
    fields[el.name] = el.value;
  }
  const payments = $$(".pay-row").map((row) => ({
    method: row.querySelector("[data-f=method]").value,
    amount: row.querySelector("[data-f=amount]").value,
    tendered: row.querySelector("[data-f=tendered]").value,
    reference: row.querySelector("[data-f=reference]").value,
    auto: row.dataset.auto === "1",
  }));
  sessionStorage.setItem(DRAFT, JSON.stringify({ patient: state.patient, cart: state.cart, fields, payments }));
}

export function loadDraft(patientId) {
  try {
    const d = JSON.parse(sessionStorage.getItem(DRAFT) || "null");
    if (!d) return null;
    if (patientId && (!d.patient || d.patient.id !== patientId)) return null;
    return d;
  } catch {
    return null;
  }
}
