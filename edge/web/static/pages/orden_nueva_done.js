// The registered order in place of the form: number (URGENTE when it is), totals, labels (E),
// ticket (T), A4 (A).
import { PREFIX, get } from "../lib/api.js";
import { $, h, sunatLabel } from "../lib/dom.js";
import { fmt, toCents } from "../lib/money.js";
import { onKey } from "../lib/shell.js";
import { labelsUrl } from "./labels.js";
import { isUrgent } from "./priority.js";
import { fmtPromise } from "./promise.js";

export async function showDone(form, order) {
  form.hidden = true;
  const done = $("#order-done");
  done.hidden = false;
  $("#done-number").textContent = order.number;
  $("#done-urgent").hidden = !isUrgent(order);
  const change = toCents(order.change) || 0;
  $("#done-summary").textContent = `Total ${fmt(order.total)} · pagado ${fmt(order.paid_total)} · saldo ${fmt(order.balance)}${change ? ` · vuelto ${fmt(change)}` : ""}`;
  // what the patient asks at the counter, as the ticket prints it
  let promise = $("#done-promise");
  if (!promise) {
    promise = h("p", { id: "done-promise", class: "big" });
    $("#done-summary").after(promise);
  }
  promise.textContent = order.results_promised_at ? `Entrega de resultados: ${fmtPromise(order.results_promised_at)}` : "";
  promise.hidden = !order.results_promised_at;
  $("#done-order").href = `${PREFIX}/ordenes/${encodeURIComponent(order.id)}`;
  const labels = $("#done-labels");
  labels.href = labelsUrl(order.id);
  // printed once from here; a reprint (with its reason) is on the order's page
  labels.addEventListener("click", () => setTimeout(() => { labels.hidden = true; }, 0), { once: true });
  onKey("key:e", () => (labels.hidden ? false : (labels.click(), true)));
  let invoice = null;
  try {
    const docs = await get(`/api/billing/by-order/${encodeURIComponent(order.id)}`);
    invoice = docs.items.find((d) => d.doc_type === "01" || d.doc_type === "03") || null;
  } catch {
    invoice = null;
  }
  const ticket = $("#done-ticket");
  const pdf = $("#done-pdf");
  if (invoice) {
    $("#done-invoice").textContent = `${invoice.doc_type === "01" ? "Factura" : "Boleta"} ${invoice.full_number} · SUNAT: ${sunatLabel(invoice.state)}`;
    ticket.href = `/api/billing/${encodeURIComponent(invoice.id)}/ticket.html`;
    pdf.href = `/api/billing/${encodeURIComponent(invoice.id)}/pdf?format=a4`;
    onKey("key:t", () => ticket.click());
    onKey("key:a", () => pdf.click());
    ticket.focus();
  } else {
    $("#done-invoice").textContent = "Sin comprobante todavía: se emite cuando la orden queda pagada.";
    ticket.hidden = true;
    pdf.hidden = true;
    $("#done-order").focus();
  }
}
