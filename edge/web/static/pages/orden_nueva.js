// F3: a new order — patient, catalog items and panels, the medical order (priority, Alt+U
// urgent; ordering physician), discount (with approval), boleta or factura, split payment with
// change; then print the ticket. Ctrl+Enter submits.
// The draft, payment rows, request body and "done" panel live in orden_nueva_*.js.
import { PREFIX, get, post } from "../lib/api.js";
import { $, $$, clear, h, toast } from "../lib/dom.js";
import { checkDocument } from "../lib/documents.js";
import { clearErrors, listbox, liveSearch, oneAtATime, setFieldError, showErrors } from "../lib/forms.js";
import { fmt, fromCents, percentOf, toCents } from "../lib/money.js";
import { onKey } from "../lib/shell.js";
import { patientSearch } from "./inicio.js";
import { showDone } from "./orden_nueva_done.js";
import { forgetSale, forgetSaleKey, loadDraft, saleKey, saveDraft as storeDraft } from "./orden_nueva_draft.js";
import { addPayment as appendPayment, amountsCents } from "./orden_nueva_payments.js";
import { buildBody } from "./orden_nueva_request.js";
import { suggestPhysicians } from "./physician_suggest.js";

const state = { patient: null, cart: [] };
let form;

// ------------------------------------------------------------------------- draft
function saveDraft() {
  storeDraft(form, state);
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

// ------------------------------------------------------------------------- priority
// Urgente marks the medical order's card and the pay box in amber (the done page, the order,
// the list, the labels and the ticket say it too).
function syncPriority() {
  const urgent = form.querySelector("[name=priority]:checked").value === "urgente";
  $("#medical-box").classList.toggle("is-urgent", urgent);
  $("#urgent-mark").hidden = !urgent;
  $("#pay-urgent").hidden = !urgent;
  return urgent;
}

// Alt+U from anywhere in the form: the keyboard stays where it was (e.g. the catalog search)
function togglePriority() {
  const urgent = form.querySelector("[name=priority]:checked").value === "urgente";
  form.querySelector(`[name=priority][value=${urgent ? "rutina" : "urgente"}]`).checked = true;
  const now = syncPriority();
  toast(now ? "Orden URGENTE (Alt+U la vuelve de rutina)." : "Orden de rutina.", now ? "warn" : "info");
  saveDraft();
}

// ------------------------------------------------------------------------- payments
function addPayment(p) {
  return appendPayment(p, { changed: recalc, removed: saveDraft });
}

// The total not covered yet by the amounts typed in the payment rows.
function missingCents() {
  const subtotal = subtotalCents();
  return subtotal - discountCents(subtotal) - amountsCents($$(".pay-row"));
}

function recalc() {
  const subtotal = subtotalCents();
  const discount = discountCents(subtotal);
  const total = subtotal - discount;
  const rows = $$(".pay-row");
  // The first row follows the total until the cashier types an amount.
  const others = amountsCents(rows.slice(1));
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
// Returns true once the order exists: the form stays locked (see oneAtATime).
async function submit() {
  clearErrors(form);
  const { body, errors } = buildBody(form, state);
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
    forgetSale();
    await showDone(form, order);
    return true;
  } catch (err) {
    if (["discount_needs_approval", "approval_invalid", "approver_not_allowed"].includes(err.code)) {
      $("#approval").hidden = false;
    }
    if (err.code === "idempotency_key_reused") {
      // the first try was registered (its answer was lost) and the cart changed since
      forgetSaleKey();
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
  for (const r of form.querySelectorAll("[name=priority]")) r.addEventListener("change", () => { syncPriority(); saveDraft(); });
  onKey("Alt+u", togglePriority);
  suggestPhysicians(form, saveDraft);
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
  onKey("F3", () => { forgetSale(); location.assign(`${PREFIX}/ordenes/nueva`); });
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
  syncPriority();
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
