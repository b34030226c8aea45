// The body of POST /api/orders from the new-order form, with the errors the counter can tell
// before asking the node (each as [field, message]).
import { $$ } from "../lib/dom.js";
import { checkDocument } from "../lib/documents.js";
import { amountText, toCents } from "../lib/money.js";

export function buildBody(form, state) {
  const errors = [];
  const f = form.elements;
  if (!state.patient) errors.push(["patient_id", "Elija al paciente."]);
  if (!state.cart.length) errors.push(["items", "Agregue al menos un examen o perfil."]);
  const body = {
    patient_id: state.patient ? state.patient.id : "",
    items: state.cart.map((s) => s.id),
    document_type: form.querySelector("[name=document_type]:checked").value,
    payments: [],
    priority: form.querySelector("[name=priority]:checked").value,
  };
  // the physician as typed: the node cleans it ("CMP 045123" -> 45123) or says what is wrong
  const cmp = f.physician_cmp.value.trim();
  const physician = f.physician_name.value.trim();
  if (cmp) body.physician_cmp = cmp;
  if (physician) body.physician_name = physician;
  if (f["discount.kind"].value) {
    body.discount = { kind: f["discount.kind"].value, value: amountText(f["discount.value"].value), reason: f["discount.reason"].value.trim() };
    if (toCents(body.discount.value) === null) errors.push(["discount.value", "Escriba un número, p. ej. 10 o 5.50."]);
    if (body.discount.reason.length < 3) errors.push(["discount.reason", "Indique el motivo del descuento."]);
    const user = f["discount.approver_username"].value.trim();
    if (user) {
      body.discount.approver_username = user;
      body.discount.approver_password = f["discount.approver_password"].value;
    }
  }
  if (body.document_type === "01") {
    const ruc = checkDocument("6", f["customer.doc_number"].value);
    if (!ruc.ok) errors.push(["customer.doc_number", ruc.msg]);
    if (!f["customer.name"].value.trim()) errors.push(["customer.name", "Escriba la razón social."]);
    body.customer = { doc_type: "6", doc_number: ruc.value, name: f["customer.name"].value.trim() };
    if (f["customer.address"].value.trim()) body.customer.address = f["customer.address"].value.trim();
  }
  $$(".pay-row").forEach((row, i) => {
    const v = (k) => row.querySelector(`[data-f=${k}]`).value.trim();
    if (!v("amount")) return;
    const amount = toCents(v("amount"));
    if (amount === null) errors.push([`payments.${i}.amount`, "Monto inválido (p. ej. 25.50)."]);
    const p = { method: v("method"), amount: amountText(v("amount")) };
    if (p.method === "efectivo" && v("tendered")) {
      const tendered = toCents(v("tendered"));
      if (tendered === null) errors.push([`payments.${i}.tendered`, "Monto inválido."]);
      else if (amount !== null && tendered < amount) errors.push([`payments.${i}.tendered`, "El efectivo entregado no alcanza."]);
      p.tendered = amountText(v("tendered"));
    }
    if (p.method !== "efectivo" && v("reference")) p.reference = v("reference");
    body.payments.push(p);
  });
  return { body, errors };
}
