// F3: a new order — patient, catalog items and panels, discount (with approval), boleta or
// factura, split payment with change; then print the ticket. Ctrl+Enter submits.
import { PREFIX, get, post } from "../lib/api.js";
import { $, $$, METHOD_LABELS, clear, h, sunatLabel, toast } from "../lib/dom.js";
import { checkDocument } from "../lib/documents.js";
import { clearErrors, listbox, liveSearch, oneAtATime, setFieldError, showErrors } from "../lib/forms.js";
import { amountText, fmt, fromCents, percentOf, toCents } from "../lib/money.js";
import { onKey } from "../lib/shell.js";
import { patientSearch } from "./inicio.js";
import { labelsUrl } from "./labels.js";

const DRAFT = "labred.draft.order";
// One Idempotency-Key per sale: a repeat after a lost answer (network cut, reload) returns the
// order already registered instead of selling it twice. Dropped once the sale is done.
const SALE_KEY = "labred.draft.order.key";

function saleKey() {
  let key = sessionStorage.getItem(SALE_KEY);
  if (!key) {
    const bytes = crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs https
    key = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    sessionStorage.setItem(SALE_KEY, key);
  }
  return key;
}
const state = { patient: null, cart: [] };
let form;

// ------------------------------------------------------------------------- draft
function saveDraft() {
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

function loadDraft(patientId) {
  try {
    const d = JSON.parse(sessionStorage.getItem(DRAFT) || "null");
    if (!d) return null;
    if (patientId && (!d.patient || d.patient.id !== patientId)) return null;
    return d;
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------------- patient
function showPatient(p) {
  state.patient = p;
  $("#patient-pick").hidden = !!p;
  $("#patient-chosen").hidden = !p;
  if (p) {
    $("#patient-name").textContent = p.full_name;
    $("#patient-doc").textContent = `${p.doc_type_label} ${p.doc_number}`;
  }
  setFieldError(form, "patient_id", "");
}

// ------------------------------------------------------------------------- cart
function subtotalCents() {
  return state.cart.reduce((sum, s) => sum + (toCents(s.price) || 0), 0);
}

function discountCents(subtotal) {
  const kind = form.elements["discount.kind"].value;
  const value = form.elements["discount.value"].value;
  if (!kind || !value) return 0;
  const cents = kind === "percent" ? percentOf(subtotal, value) : toCents(value);
  return cents === null ? 0 : Math.min(cents, subtotal);
}

function renderCart() {
  const tbody = clear($("#cart tbody"));
  state.cart.forEach((s, i) => {
    const remove = h("button", { type: "button", class: "ghost small", title: "Quitar (Supr)", "aria-label": `Quitar ${s.name}`, text: "Quitar" });
    remove.addEventListener("click", () => removeItem(i));
    remove.addEventListener("keydown", (e) => { if (e.key === "Delete") removeItem(i); });
    const members = s.panel_services && s.panel_services.length
      ? h("div", { class: "muted small", text: `Perfil: ${s.panel_services.map((m) => m.name).join(", ")}` }) : null;
    tbody.append(h("tr", {},
      h("td", { text: s.code }),
      h("td", {}, h("span", { text: s.name }), members, h("span", { class: "field-error", "data-error-for": `items.${i}` })),
      h("td", { class: "r", text: fmt(s.price) }),
      h("td", {}, remove),
    ));
  });
  $("#cart-empty").hidden = state.cart.length > 0;
  recalc();
}

function addItem(s) {
  if (state.cart.some((c) => c.id === s.id)) {
    toast(`«${s.name}» ya está en la orden.`, "warn");
    return;
  }
  state.cart.push({ id: s.id, code: s.code, name: s.name, price: s.price, panel_services: s.panel_services || [] });
  setFieldError(form, "items", "");
  renderCart();
  saveDraft();
}

function removeItem(i) {
  state.cart.splice(i, 1);
  renderCart();
  saveDraft();
  $("#svc-q").focus();
}

// ------------------------------------------------------------------------- payments
function paymentRow(p = {}) {
  const method = h("select", { "data-f": "method", "aria-label": "Medio de pago" },
    ...Object.entries(METHOD_LABELS).map(([v, label]) => h("option", { value: v, text: label })));
  method.value = p.method || "efectivo";
  const amount = h("input", { "data-f": "amount", inputmode: "decimal", maxlength: "12", autocomplete: "off", "aria-label": "Monto", placeholder: "0.00" });
  amount.value = p.amount || "";
  const tendered = h("input", { "data-f": "tendered", inputmode: "decimal", maxlength: "12", autocomplete: "off", "aria-label": "Entregado", placeholder: "Entregado" });
  tendered.value = p.tendered || "";
  const reference = h("input", { "data-f": "reference", maxlength: "60", autocomplete: "off", "aria-label": "Referencia", placeholder: "N.º operación" });
  reference.value = p.reference || "";
  const remove = h("button", { type: "button", class: "ghost small", text: "Quitar", "aria-label": "Quitar pago" });
  const errors = h("div", { class: "pay-errors" });
  const row = h("div", { class: "pay-row", dataset: { auto: p.auto ? "1" : "0" } },
    h("label", {}, "Medio ", method), h("label", {}, "Monto ", amount),
    h("label", { class: "tendered" }, "Entregado ", tendered), h("label", { class: "reference" }, "Referencia ", reference),
    remove, errors);
  const sync = () => {
    const cash = method.value === "efectivo";
    row.querySelector(".tendered").hidden = !cash;
    row.querySelector(".reference").hidden = cash;
  };
  method.addEventListener("change", () => { sync(); recalc(); });
  amount.addEventListener("input", () => { row.dataset.auto = "0"; recalc(); });
  tendered.addEventListener("input", recalc);
  remove.addEventListener("click", () => { row.remove(); renumber(); recalc(); saveDraft(); });
  sync();
  return row;
}

function renumber() {
  $$(".pay-row").forEach((row, i) => {
    for (const f of ["method", "amount", "tendered", "reference"]) {
      const el = row.querySelector(`[data-f=${f}]`);
      el.name = `payments.${i}.${f}`;
      el.dataset.loc = `payments.${i}.${f}`;
    }
    const errors = clear(row.querySelector(".pay-errors"));
    for (const key of [`payments.${i}`, `payments.${i}.amount`, `payments.${i}.tendered`, `payments.${i}.reference`, `payments.${i}.method`]) {
      errors.append(h("span", { class: "field-error", "data-error-for": key }));
    }
  });
}

function addPayment(p) {
  const row = paymentRow(p);
  $("#payments").append(row);
  renumber();
  return row;
}

// The total not covered yet by the amounts typed in the payment rows.
function missingCents() {
  const subtotal = subtotalCents();
  const paid = $$(".pay-row").reduce((sum, r) => sum + (toCents(r.querySelector("[data-f=amount]").value) || 0), 0);
  return subtotal - discountCents(subtotal) - paid;
}

function recalc() {
  const subtotal = subtotalCents();
  const discount = discountCents(subtotal);
  const total = subtotal - discount;
  const rows = $$(".pay-row");
  // The first row follows the total until the cashier types an amount.
  const others = rows.slice(1).reduce((sum, r) => sum + (toCents(r.querySelector("[data-f=amount]").value) || 0), 0);
  if (rows[0] && rows[0].dataset.auto === "1") {
    rows[0].querySelector("[data-f=amount]").value = total > others ? fromCents(total - others) : "";
  }
  let paid = 0;
  let change = 0;
  for (const r of rows) {
    const amount = toCents(r.querySelector("[data-f=amount]").value) || 0;
    paid += amount;
    if (r.querySelector("[data-f=method]").value === "efectivo") {
      const tendered = toCents(r.querySelector("[data-f=tendered]").value);
      if (tendered !== null && tendered > amount) change += tendered - amount;
    }
  }
  $("#t-subtotal").textContent = fmt(subtotal);
  $("#t-discount").textContent = discount ? `-${fmt(discount)}` : fmt(0);
  $("#t-total").textContent = fmt(total);
  $("#t-paid").textContent = fmt(paid);
  const rest = total - paid;
  $("#t-rest-label").textContent = rest > 0 ? "Falta (queda como saldo)" : rest < 0 ? "Excede el total" : "Falta";
  $("#t-rest").textContent = fmt(Math.abs(rest));
  $("#t-change").textContent = fmt(change);
  saveDraft();
}

// ------------------------------------------------------------------------- submit
function buildBody() {
  const errors = [];
  const f = form.elements;
  if (!state.patient) errors.push(["patient_id", "Elija al paciente."]);
  if (!state.cart.length) errors.push(["items", "Agregue al menos un examen o perfil."]);
  const body = {
    patient_id: state.patient ? state.patient.id : "",
    items: state.cart.map((s) => s.id),
    document_type: form.querySelector("[name=document_type]:checked").value,
    payments: [],
  };
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

// Returns true once the order exists: the form stays locked (see oneAtATime).
async function submit() {
  clearErrors(form);
  const { body, errors } = buildBody();
  if (errors.length) {
    for (const [key, msg] of errors) setFieldError(form, key, msg);
    const first = form.querySelector("[aria-invalid=true]") || $("#svc-q");
    first.focus();
    return;
  }
  const button = $("#submit-order");
  button.disabled = true;
  try {
    const order = await post("/api/orders", body, { headers: { "Idempotency-Key": saleKey() } });
    sessionStorage.removeItem(DRAFT);
    sessionStorage.removeItem(SALE_KEY);
    await showDone(order);
    return true;
  } catch (err) {
    if (["discount_needs_approval", "approval_invalid", "approver_not_allowed"].includes(err.code)) {
      $("#approval").hidden = false;
    }
    if (err.code === "idempotency_key_reused") {
      // the first try was registered (its answer was lost) and the cart changed since
      sessionStorage.removeItem(SALE_KEY);
      toast("La venta anterior ya quedó registrada (se perdió la respuesta del servidor). Revísela en la lista de órdenes (F8) antes de cobrar de nuevo.", "error");
      return;
    }
    showErrors(form, err);
    if (err.code === "discount_needs_approval") form.elements["discount.approver_username"].focus();
    if (err.code === "cash_session_closed") {
      // what to do, one key away: the sale typed waits here (F3 brings it back)
      const slot = form.querySelector('[data-error-for="payments"]');
      slot.append(" ", h("a", { href: `${PREFIX}/caja`, id: "open-cash-link", text: "Abrir la caja (F6); luego F3 vuelve a esta venta." }));
    }
  } finally {
    button.disabled = false;
  }
}

async function showDone(order) {
  form.hidden = true;
  const done = $("#order-done");
  done.hidden = false;
  $("#done-number").textContent = order.number;
  const change = toCents(order.change) || 0;
  $("#done-summary").textContent = `Total ${fmt(order.total)} · pagado ${fmt(order.paid_total)} · saldo ${fmt(order.balance)}${change ? ` · vuelto ${fmt(change)}` : ""}`;
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

// ------------------------------------------------------------------------- init
export async function init() {
  form = $("#order-form");
  const params = new URLSearchParams(location.search);
  const patientId = params.get("paciente");
  const draft = loadDraft(patientId);

  // patient picker
  patientSearch($("#patient-q"), $("#patient-results"), null, async (option) => {
    let p;
    try {
      p = await get(`/api/patients/${encodeURIComponent(option.dataset.id)}`);
    } catch (err) {
      setFieldError(form, "patient_id", err.message); // e.g. merged into another record
      return;
    }
    showPatient(p);
    saveDraft();
    $("#svc-q").focus();
  });
  $("#patient-change").addEventListener("click", () => { showPatient(null); $("#patient-q").focus(); });

  // catalog search
  const svcInput = $("#svc-q");
  const svcList = $("#svc-results");
  const found = new Map();
  let box = null;
  const catalog = liveSearch(svcInput, async (q, current) => {
    if (!q) { clear(svcList); box.reset(); return; }
    try {
      const items = await get(`/api/catalog/services/search?q=${encodeURIComponent(q)}&limit=12`);
      if (!current()) return;
      clear(svcList);
      found.clear();
      items.filter((s) => s.active).forEach((s, i) => {
        found.set(s.id, s);
        svcList.append(h("li", { role: "option", id: `svc-${i}`, "aria-selected": "false", dataset: { id: s.id } },
          h("span", { class: "opt-side", text: s.code }),
          h("span", { class: "opt-main", text: s.is_panel ? `${s.name} (perfil: ${s.panel_services.length} exámenes)` : s.name }),
          h("span", { class: "opt-price", text: fmt(s.price) })));
      });
      box.reset();
    } catch (err) {
      toast(err.message, "error");
    }
  }, 150);
  box = listbox(svcInput, svcList, {
    settle: catalog.settle,
    onChoose: (option) => {
      addItem(found.get(option.dataset.id));
      svcInput.value = "";
      catalog.run(); // clears the list (and marks it as answering the empty box)
      svcInput.focus();
    },
  });
  if (svcInput.value.trim()) catalog.run();

  // document type
  const syncDoc = () => {
    const factura = form.querySelector("[name=document_type]:checked").value === "01";
    $("#customer").hidden = !factura;
  };
  for (const r of form.querySelectorAll("[name=document_type]")) r.addEventListener("change", () => { syncDoc(); saveDraft(); });
  form.elements["customer.doc_number"].addEventListener("input", (e) => {
    const v = e.target.value.trim();
    const r = checkDocument("6", v);
    setFieldError(form, "customer.doc_number", v.length >= 11 && !r.ok ? r.msg : "");
  });
  for (const name of ["discount.kind", "discount.value"]) form.elements[name].addEventListener("input", recalc);
  form.elements["discount.kind"].addEventListener("change", recalc);

  // Another means of payment proposes what is still missing (cash 50 of 71.55: Yape 21.55).
  $("#add-payment").addEventListener("click", () => {
    const rest = missingCents();
    const amount = addPayment({ method: "yape", amount: rest > 0 ? fromCents(rest) : "" }).querySelector("[data-f=amount]");
    recalc();
    amount.focus();
    amount.select();
  });
  onKey("Alt+p", () => { $("#add-payment").click(); });
  onKey("F4", () => {
    const first = $(".pay-row [data-f=amount]");
    if (first) { first.focus(); first.select(); }
  });
  onKey("F3", () => { sessionStorage.removeItem(DRAFT); sessionStorage.removeItem(SALE_KEY); location.assign(`${PREFIX}/ordenes/nueva`); });
  form.addEventListener("submit", oneAtATime(submit));
  // Only Ctrl+Enter or the button registers the sale: Enter in a field (a search typed faster
  // than its results, the amount tendered) never charges and issues a boleta by surprise.
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.ctrlKey && !event.metaKey && event.target instanceof HTMLInputElement) {
      event.preventDefault();
    }
  });
  form.addEventListener("input", saveDraft);

  // restore what was typed (a rejected submit never clears anything; a reload or an
  // expired session brings the draft back)
  if (draft) {
    for (const [name, value] of Object.entries(draft.fields || {})) {
      const el = form.elements[name];
      if (!el) continue;
      if (el instanceof RadioNodeList) for (const r of el) r.checked = r.value === value;
      else el.value = value;
    }
    state.cart = draft.cart || [];
    (draft.payments || []).forEach((p) => addPayment(p));
    if (draft.patient) showPatient(draft.patient);
  }
  if (!$$(".pay-row").length) addPayment({ method: "efectivo", auto: true });
  syncDoc();
  if (patientId && !state.patient) {
    try {
      showPatient(await get(`/api/patients/${encodeURIComponent(patientId)}`));
    } catch (err) {
      toast(err.message, "error");
    }
  }
  renderCart();
  (state.patient ? svcInput : $("#patient-q")).focus();
}
