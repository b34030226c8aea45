// One order: items, invoices (print), payments (pay the balance), status, cancel.
import { PREFIX, get, post, put } from "../lib/api.js";
import { $, METHOD_LABELS, NEXT_STATUS, STATUS_LABELS, badge, clear, fmtDateTime, h, sunatLabel, toast } from "../lib/dom.js";
import { clearErrors, oneAtATime, showErrors, values } from "../lib/forms.js";
import { amountText, fmt, toCents } from "../lib/money.js";
import { onKey } from "../lib/shell.js";
import { askCancel, changedElsewhere } from "./cancel.js";
import { initDiscountRequest } from "./discount_request.js";
import { initLabels } from "./labels.js";
import { isUrgent, physicianText } from "./priority.js";
import { fmtPromise, isLate } from "./promise.js";

const DOC_LABELS = { "01": "Factura", "03": "Boleta", "07": "Nota de crédito", "08": "Nota de débito" };
let order = null;
let patientName = "";
let invoiceIds = null; // the comprobantes shown: one new after a payment is announced
let perms = new Set();
let refreshDiscount = async () => {};
let refreshLabels = async () => {};

function fact(dl, label, value) {
  dl.append(h("dt", { text: label }), h("dd", { text: value || "—" }));
}

async function render() {
  const id = document.body.dataset.orderId;
  order = await get(`/api/orders/${encodeURIComponent(id)}`);
  const [patient, docs] = await Promise.all([
    get(`/api/patients/${encodeURIComponent(order.patient_id)}`).catch(() => null),
    get(`/api/billing/by-order/${encodeURIComponent(id)}`).catch(() => ({ items: [] })),
  ]);
  document.title = `Orden ${order.number} · labred`;
  $("#o-number").textContent = order.number;
  const status = $("#o-status");
  status.textContent = STATUS_LABELS[order.status] || order.status;
  status.className = `badge st-${order.status}`;
  $("#o-urgent").hidden = !isUrgent(order);
  patientName = patient ? patient.full_name : "";
  $("#o-patient").textContent = patient ? `${patient.full_name} — ${patient.doc_type_label} ${patient.doc_number}` : "";
  const dl = clear($("#o-facts"));
  fact(dl, "Fecha", fmtDateTime(order.created_at));
  fact(dl, "Médico solicitante", physicianText(order));
  fact(dl, "Entrega de resultados", order.results_promised_at ? fmtPromise(order.results_promised_at) : "");
  if (isLate(order)) dl.append(h("dt", { text: "Estado de entrega" }), h("dd", {}, h("span", { class: "badge late", text: "Atrasada" })));
  fact(dl, "Total", fmt(order.total));
  fact(dl, "Descuento", order.discount_total && order.discount_total !== "0.00" ? `${fmt(order.discount_total)} (${order.discount_reason || ""})` : "");
  fact(dl, "Pagado", fmt(order.paid_total));
  fact(dl, "Saldo", fmt(order.balance));
  if (order.customer_name) fact(dl, "Cliente", `${order.customer_name} (${order.customer_doc_number || ""})`);
  if (order.cancel_reason) fact(dl, "Motivo de anulación", order.cancel_reason);
  $("#order-card").setAttribute("aria-busy", "false");

  const items = clear($("#o-items tbody"));
  for (const it of order.items) {
    items.append(h("tr", { class: it.parent_item_id ? "child" : "" },
      h("td", { text: it.service_code }),
      h("td", { text: it.parent_item_id ? `  ↳ ${it.service_name}` : it.service_name }),
      h("td", { text: [it.sample_type, it.tube].filter(Boolean).join(" · ") }),
      h("td", { class: "r", text: fmt(it.unit_price) }),
      h("td", { class: "r", text: fmt(it.line_total) })));
  }
  const inv = clear($("#o-invoices tbody"));
  for (const d of docs.items) {
    inv.append(h("tr", {},
      h("td", { text: d.full_number }),
      h("td", { text: DOC_LABELS[d.doc_type] || d.doc_type }),
      h("td", { "data-state": d.state }, sunatLabel(d.state), d.state === "rechazado" && d.last_error ? h("div", { class: "muted small", text: d.last_error }) : ""),
      h("td", { class: "r", text: fmt(d.total) }),
      h("td", {},
        h("a", { href: `/api/billing/${encodeURIComponent(d.id)}/ticket.html`, target: "_blank", rel: "noopener", class: "button small", text: "Ticket" }),
        " ",
        h("a", { href: `/api/billing/${encodeURIComponent(d.id)}/pdf?format=a4`, target: "_blank", rel: "noopener", class: "button small", text: "PDF A4" }))));
  }
  if (!docs.items.length) inv.append(h("tr", {}, h("td", { colspan: "5", class: "muted", text: "Sin comprobantes." })));
  const issued = invoiceIds ? docs.items.filter((d) => !invoiceIds.has(d.id) && ["01", "03"].includes(d.doc_type)) : [];
  invoiceIds = new Set(docs.items.map((d) => d.id));

  const pays = clear($("#o-payments tbody"));
  for (const p of order.payments) {
    pays.append(h("tr", {},
      h("td", { text: METHOD_LABELS[p.method] || p.method }),
      h("td", { class: "r", text: fmt(p.amount) }),
      h("td", { class: "r", text: p.tendered ? fmt(p.tendered) : "—" }),
      h("td", { class: "r", text: p.change ? fmt(p.change) : "—" }),
      h("td", { text: p.reference || "—" })));
  }
  const payForm = $("#pay-form");
  const owes = toCents(order.balance) > 0 && order.status !== "anulada";
  payForm.hidden = !owes;
  $("#o-pay").hidden = !owes;
  if (owes && !payForm.elements.amount.value) payForm.elements.amount.value = order.balance;

  const hist = clear($("#o-history tbody"));
  for (const e of order.status_history) {
    hist.append(h("tr", {},
      h("td", { text: fmtDateTime(e.created_at) }),
      h("td", { text: e.from_status ? STATUS_LABELS[e.from_status] || e.from_status : "—" }),
      h("td", { text: STATUS_LABELS[e.to_status] || e.to_status }),
      h("td", { text: e.reason || "" })));
  }
  const next = NEXT_STATUS[order.status];
  const nextBtn = $("#o-next");
  nextBtn.hidden = !next;
  if (next) nextBtn.textContent = `→ ${STATUS_LABELS[next]} (S)`;
  $("#o-cancel").hidden = order.status === "anulada" || !perms.has("order.cancel");
  // A convenio's nota de crédito 07 (reason 07) that SUNAT rejected leaves the cancelled order
  // billed to it: the supervisor issues it again, until a later one stands.
  const returns = docs.items.filter((d) => d.doc_type === "07" && d.note_reason === "07")
    .sort((a, b) => a.issued_at.localeCompare(b.issued_at));
  const lastReturn = returns[returns.length - 1];
  $("#o-convenio-credit").hidden = !(order.status === "anulada" && order.convenio_id
    && lastReturn && lastReturn.state === "rechazado" && perms.has("invoice.credit_note"));
  await Promise.all([refreshDiscount(order), refreshLabels(order)]);
  return issued;
}

// Entregado for cash, the operation number for the rest (as in the new order's payments).
function syncPayFields(form) {
  const cash = form.elements.method.value === "efectivo";
  form.querySelector(".tendered").hidden = !cash;
  form.querySelector(".reference").hidden = cash;
}

function focusPayment() {
  const form = $("#pay-form");
  if (form.hidden) return false;
  form.elements.amount.focus();
  form.elements.amount.select();
  return true;
}

// A balance paid issues the boleta or factura: say which, and put the keyboard on its ticket.
function announce(issued, message) {
  const doc = issued[0];
  if (!doc) {
    toast(message, "ok");
    return;
  }
  toast(`${message} ${DOC_LABELS[doc.doc_type]} ${doc.full_number} emitida: Enter imprime el ticket.`, "ok");
  const link = $(`#o-invoices a[href^="/api/billing/${CSS.escape(doc.id)}/ticket"]`);
  if (link) link.focus();
}

async function advance() {
  const next = order && NEXT_STATUS[order.status];
  if (!next) return;
  try {
    await put(`/api/orders/${encodeURIComponent(order.id)}/status`, { status: next });
    toast(`Orden ${order.number}: ${STATUS_LABELS[next]}.`, "ok");
    await render();
  } catch (err) {
    if (err.code !== "invalid_transition") {
      toast(err.message, "error");
      return;
    }
    toast(changedElsewhere(err), "warn"); // moved at another counter: show it as it is now
    await render();
  }
}

async function reissueConvenioCredit() {
  const btn = $("#o-convenio-credit");
  btn.disabled = true;
  try {
    const out = await post(`/api/orders/${encodeURIComponent(order.id)}/convenio-credit`, {});
    toast(`Emitida: ${out.notes.map((n) => n.full_number).join(", ")}.`, "ok");
    await render();
  } catch (err) {
    toast(err.message, "error");
  } finally {
    btn.disabled = false;
  }
}

export async function init({ me }) {
  perms = new Set((me && me.permissions) || []);
  const onDecided = async () => {
    $("#pay-form").elements.amount.value = ""; // refilled with the new balance
    await render();
  };
  refreshDiscount = initDiscountRequest({ me, onDecided });
  refreshLabels = initLabels({ me, onChanged: render }); // a tube taken may move the order
  $("#o-next").addEventListener("click", advance);
  const cancel = () => order && order.status !== "anulada" && perms.has("order.cancel") && askCancel(order, render, { patientName });
  $("#o-cancel").addEventListener("click", cancel);
  $("#o-convenio-credit").addEventListener("click", reissueConvenioCredit);
  onKey("key:s", advance);
  onKey("key:Delete", cancel);
  onKey("F4", () => { focusPayment(); }); // never the default (a new order) from an order
  $("#o-pay").addEventListener("click", focusPayment);
  const payForm = $("#pay-form");
  payForm.elements.method.addEventListener("change", () => syncPayFields(payForm));
  syncPayFields(payForm);
  payForm.addEventListener("submit", oneAtATime(async () => {
    clearErrors(payForm);
    const v = values(payForm);
    const p = { method: v.method, amount: amountText(v.amount) };
    if (v.method === "efectivo" && v.tendered.trim()) p.tendered = amountText(v.tendered);
    if (v.method !== "efectivo" && v.reference.trim()) p.reference = v.reference.trim();
    try {
      const updated = await post(`/api/orders/${encodeURIComponent(order.id)}/payments`, { payments: [p] });
      payForm.reset();
      syncPayFields(payForm);
      const issued = await render();
      announce(issued, updated.change && updated.change !== "0.00" ? `Pago registrado. Vuelto ${fmt(updated.change)}.` : "Pago registrado.");
    } catch (err) {
      showErrors(payForm, err);
      if (err.code === "overpayment") {
        // paid meanwhile at another counter, or more than the balance: show the balance as it is
        payForm.elements.amount.value = "";
        await render();
        if (payForm.hidden) toast(changedElsewhere(err), "warn");
      }
    }
  }));
  await render();
}
