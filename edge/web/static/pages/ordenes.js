// F8: the day's orders, filtered by day and status; next status and cancel from the list.
import { PREFIX, get, put } from "../lib/api.js";
import { $, $$, NEXT_STATUS, STATUS_LABELS, badge, clear, fmtTime, h, sunatLabel, todayLima, toast } from "../lib/dom.js";
import { clearErrors, showErrors } from "../lib/forms.js";
import { fmt } from "../lib/money.js";
import { onKey } from "../lib/shell.js";
import { askCancel, changedElsewhere } from "./cancel.js";
import { isUrgent, urgentMark } from "./priority.js";
import { fmtPromise, isLate } from "./promise.js";

const DOC_SHORT = { 0: "Doc.", 1: "DNI", 4: "CE", 6: "RUC", 7: "Pasaporte", A: "Céd. dipl." };
let rows = [];
let active = 0;
let canCancel = false;
let lateOnly = false; // ?atrasadas=1: only the late orders (GET /api/orders?late=true)

function focusRow(i) {
  const trs = $$("#orders tbody tr[data-id]");
  if (!trs.length) return;
  active = Math.max(0, Math.min(i, trs.length - 1));
  trs[active].focus();
}

async function advance(order) {
  const next = NEXT_STATUS[order.status];
  if (!next) return;
  try {
    await put(`/api/orders/${encodeURIComponent(order.id)}/status`, { status: next });
    toast(`${order.number}: ${STATUS_LABELS[next]}.`, "ok");
    await reload();
  } catch (err) {
    if (err.code !== "invalid_transition") {
      toast(err.message, "error");
      return;
    }
    toast(changedElsewhere(err), "warn"); // moved at another counter: redraw the list
    await reload();
  }
}

function patientCell(o) {
  if (!o.patient_name) return h("td", { class: "muted", text: "—" });
  const doc = o.patient_doc_number ? `${DOC_SHORT[o.patient_doc_type] || "Doc."} ${o.patient_doc_number}` : "";
  return h("td", { class: "patient-cell" }, h("span", { text: o.patient_name }), doc ? h("span", { class: "muted small mono", text: ` ${doc}` }) : null);
}

function invoiceCell(o) {
  const kind = o.document_type === "01" ? "Factura" : "Boleta";
  if (!o.invoice_number) return h("td", {}, kind, h("span", { class: "muted small", text: " · sin emitir" }));
  return h("td", { class: "invoice-cell" }, h("span", { class: "mono", text: `${kind} ${o.invoice_number}` }), " ",
    h("span", { class: `pill-state sunat-${o.invoice_state}`, text: sunatLabel(o.invoice_state) }));
}

// red mark: the promised results instant passed and they are not out yet
const lateMark = (o) => h("span", { class: "badge late", title: `Entrega prometida: ${fmtPromise(o.results_promised_at)}`, text: "Atrasada" });

function row(o, i) {
  const actions = h("td", { class: "actions-cell" });
  const next = NEXT_STATUS[o.status];
  if (next) {
    actions.append(h("button", { type: "button", class: "small", text: `→ ${STATUS_LABELS[next]}`, onclick: () => advance(o) }));
  }
  if (o.status !== "anulada" && canCancel) {
    actions.append(h("button", { type: "button", class: "small danger", text: "Anular", onclick: () => askCancel(o, reload) }));
  }
  const tr = h("tr", { tabindex: "0", dataset: { id: o.id, index: String(i) } },
    h("td", {}, h("a", { href: `${PREFIX}/ordenes/${encodeURIComponent(o.id)}`, text: o.number })),
    h("td", { text: fmtTime(o.created_at) }),
    patientCell(o),
    h("td", {}, badge(o.status), isUrgent(o) ? [" ", urgentMark()] : null, isLate(o) ? [" ", lateMark(o)] : null),
    invoiceCell(o),
    h("td", { class: "r", text: fmt(o.total) }),
    h("td", { class: "r", text: fmt(o.paid_total) }),
    h("td", { class: "r", text: fmt(o.balance) }),
    actions);
  tr.addEventListener("focus", () => { active = i; });
  tr.addEventListener("keydown", (event) => {
    if (event.target !== tr) return;
    if (event.key === "ArrowDown") { focusRow(i + 1); event.preventDefault(); }
    else if (event.key === "ArrowUp") { focusRow(i - 1); event.preventDefault(); }
    else if (event.key === "Enter") location.assign(`${PREFIX}/ordenes/${encodeURIComponent(o.id)}`);
    else if (event.key.toLowerCase() === "s") advance(o);
    else if (event.key === "Delete" && o.status !== "anulada" && canCancel) askCancel(o, reload);
  });
  return tr;
}

// After an action on a row the list is drawn again: the keyboard stays on that row.
async function reload() {
  const index = active;
  await load();
  focusRow(index);
}

async function load() {
  const filters = $("#filters");
  clearErrors(filters);
  const params = new URLSearchParams({ page_size: "200" });
  // late orders of any day: the day filter does not apply to them
  if ($("#f-date").value && !lateOnly) params.set("date", $("#f-date").value);
  if ($("#f-status").value) params.set("status", $("#f-status").value);
  if (lateOnly) params.set("late", "true");
  try {
    const page = await get(`/api/orders?${params}`);
    rows = page.items;
    const tbody = clear($("#orders tbody"));
    rows.forEach((o, i) => tbody.append(row(o, i)));
    if (!rows.length) tbody.append(h("tr", {}, h("td", { colspan: "9", class: "muted", text: "No hay órdenes con estos filtros." })));
    $("#orders-count").textContent = `${page.total} orden(es)`;
  } catch (err) {
    showErrors(filters, err);
  }
}

export async function init({ me }) {
  canCancel = new Set((me && me.permissions) || []).has("order.cancel");
  const params = new URLSearchParams(location.search);
  $("#f-date").value = params.get("dia") || todayLima();
  $("#f-status").value = params.get("estado") || "";
  lateOnly = params.get("atrasadas") === "1";
  $("#f-late").checked = lateOnly;
  $("#f-date").disabled = lateOnly;
  for (const el of [$("#f-date"), $("#f-status"), $("#f-late")]) {
    el.addEventListener("change", () => {
      lateOnly = $("#f-late").checked;
      $("#f-date").disabled = lateOnly;
      const q = new URLSearchParams({ dia: $("#f-date").value, estado: $("#f-status").value });
      if (lateOnly) q.set("atrasadas", "1");
      history.replaceState(null, "", `${location.pathname}?${q}`);
      load();
    });
  }
  $("#filters").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  onKey("F8", () => { focusRow(0); });
  await load();
  focusRow(0);
}
