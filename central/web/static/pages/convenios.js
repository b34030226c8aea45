// Convenio accounts: balances of every convenio (per sede on selecting one), its facturas with
// the payments applied, the payments received, the monthly statement (xlsx/PDF) and, for users
// with catalog.manage, the form that records a payment received (POST /api/convenios/{id}/payments).
// The convenio's price list out to a spreadsheet and back: ./convenios_precios.js.
import { api, el, fecha, fill, flash, formErrors, request, sedePicker, showError, soles } from "../lib.js";
import { setupPrices } from "./convenios_precios.js";

const KPIS = [
  ["covered", "Cubierto"], ["invoiced", "Facturado"], ["not_invoiced", "Por facturar"],
  ["paid", "Pagado"], ["balance", "Saldo"], ["overdue", "Vencido"], ["not_due", "Por vencer"],
  ["unapplied", "A cuenta sin aplicar"],
];

export default async function () {
  const filter = document.getElementById("conv-filter");
  const listError = document.getElementById("conv-error");
  const tbody = document.querySelector("#convenios tbody");
  const detail = document.getElementById("conv-detail");
  const payForm = document.getElementById("pay-form");
  const payError = document.getElementById("pay-error");
  const statement = document.getElementById("statement-form");
  const statementError = document.getElementById("statement-error");
  let sedesLoaded = false;
  let current = null; // the account shown
  let methods = {};
  let needsReference = new Set(); // methods whose payment carries its operation / cheque number

  const resetPrices = setupPrices({
    current: () => (current ? { id: current.balance.convenio_id, name: current.balance.name } : null),
  });

  const sedeParam = () => (filter.elements.sede.value ? `?sede=${encodeURIComponent(filter.elements.sede.value)}` : "");

  async function load() {
    listError.hidden = true;
    try {
      const data = await api.get(`/api/web/convenios${sedeParam()}`);
      if (!sedesLoaded) {
        sedePicker(filter.elements.sede, data.sedes);
        sedesLoaded = true;
      }
      const overdue = data.items.filter((c) => Number(c.overdue) > 0).length;
      document.getElementById("conv-summary").textContent =
        `${data.items.length} convenio(s) · ${overdue} con saldo vencido (al ${fecha(data.as_of)})`;
      fill(tbody, data.items.map((c) => el("tr", { "data-convenio": c.id, class: Number(c.overdue) > 0 ? "warn" : (c.active ? "" : "muted") },
        el("td", {}, c.name, c.active ? null : " (inactivo)"), el("td", {}, c.ruc), el("td", {}, `${c.credit_days} días`),
        el("td", { class: "num" }, c.orders), el("td", { class: "num", "data-field": "covered" }, soles(c.covered)),
        el("td", { class: "num" }, soles(c.invoiced)), el("td", { class: "num" }, soles(c.not_invoiced)),
        el("td", { class: "num", "data-field": "paid" }, soles(c.paid)),
        el("td", { class: "num", "data-field": "balance" }, soles(c.balance)),
        el("td", { class: "num", "data-field": "overdue" }, soles(c.overdue)),
        el("td", { class: "num", "data-field": "overdue_days" }, c.overdue_days ? `${c.overdue_days} d` : "—"),
        el("td", {}, el("button", { type: "button", class: "small", onclick: () => open(c.id) }, "Ver")))),
      12, "No hay convenios registrados.");
    } catch (err) { showError(listError, err); }
  }

  function paymentsCell(f) {
    const lines = f.payments.map((p) => el("div", { "data-payment": p.id },
      `${fecha(p.date)} · ${methods[p.method] || p.method}${p.reference ? ` ${p.reference}` : ""} · ${soles(p.amount)}`));
    if (Number(f.on_account) > 0) lines.push(el("div", { class: "muted" }, `A cuenta: ${soles(f.on_account)}`));
    return lines.length ? lines : ["—"];
  }

  function facturaState(f) {
    if (Number(f.outstanding) <= 0) return "Pagada";
    return f.overdue ? `Vencida (${f.days_overdue} d)` : "Por vencer";
  }

  function show(acc) {
    current = acc;
    const b = acc.balance;
    methods = Object.fromEntries(acc.methods.map((m) => [m.value, m.label]));
    needsReference = new Set(acc.methods.filter((m) => m.reference_required).map((m) => m.value));
    detail.hidden = false;
    detail.dataset.convenio = b.convenio_id;
    document.getElementById("conv-title").textContent = b.name;
    document.getElementById("conv-terms").textContent =
      `${b.credit_days} días de crédito · saldo al ${fecha(b.as_of)}`;
    document.getElementById("conv-kpis").replaceChildren(...KPIS.map(([key, label]) =>
      el("div", { class: "kpi", "data-kpi": key }, el("span", {}, label), el("strong", {}, soles(b[key])))));
    fill(document.querySelector("#conv-sedes tbody"), b.sedes.map((s) => el("tr", { "data-sede": s.sede_code, class: Number(s.overdue) > 0 ? "warn" : "" },
      el("td", {}, s.sede_code || s.sede_id), el("td", { class: "num" }, s.orders),
      el("td", { class: "num" }, soles(s.covered)), el("td", { class: "num" }, soles(s.invoiced)),
      el("td", { class: "num" }, soles(s.not_invoiced)), el("td", { class: "num" }, soles(s.paid)),
      el("td", { class: "num", "data-field": "balance" }, soles(s.balance)),
      el("td", { class: "num" }, soles(s.overdue)), el("td", { class: "num" }, soles(s.not_due)))),
    9, "Sin órdenes del convenio en las sedes visibles.");
    // SVG rendered by the hub with every text escaped (central/web/charts.py).
    document.getElementById("chart-conv-sedes").innerHTML = acc.chart_sedes;
    document.getElementById("chart-conv-aging").innerHTML = acc.chart_aging;
    fill(document.querySelector("#conv-facturas tbody"), acc.facturas.map((f) => el("tr", { "data-invoice": f.invoice, class: f.overdue ? "warn" : "" },
      el("td", {}, f.invoice), el("td", {}, f.sede_code), el("td", {}, fecha(f.date)), el("td", {}, fecha(f.due_date)),
      el("td", { class: "num" }, soles(f.payable)), el("td", {}, ...paymentsCell(f)),
      el("td", { class: "num", "data-field": "paid" }, soles(f.paid)),
      el("td", { class: "num", "data-field": "outstanding" }, soles(f.outstanding)),
      el("td", {}, facturaState(f)))),
    9, "El convenio no tiene facturas.");
    fill(document.querySelector("#conv-payments tbody"), acc.payments.map((p) => el("tr", { "data-payment": p.id },
      el("td", {}, fecha(p.date)), el("td", {}, methods[p.method] || p.method), el("td", {}, p.reference || "—"),
      el("td", {}, p.invoice || "a cuenta"), el("td", {}, p.note || ""), el("td", { class: "num" }, soles(p.amount)))),
    6, "Sin pagos registrados.");

    document.getElementById("pay-section").hidden = !acc.can_pay;
    if (acc.can_pay) {
      const f = payForm.elements;
      const method = f.method.value;
      f.method.replaceChildren(...acc.methods.map((m) => el("option", { value: m.value }, m.label)));
      if (method) f.method.value = method;
      markReference();
      const invoice = f.invoice.value;
      f.invoice.replaceChildren(el("option", { value: "" }, "A cuenta (sin factura)"),
        ...acc.facturas.filter((x) => Number(x.outstanding) > 0).map((x) =>
          el("option", { value: x.invoice }, `${x.invoice} · ${x.sede_code} · saldo ${soles(x.outstanding)}`)));
      if ([...f.invoice.options].some((o) => o.value === invoice)) f.invoice.value = invoice;
      if (!f.date.value) f.date.value = b.as_of;
    }
    if (!statement.elements.month.value) statement.elements.month.value = b.as_of.slice(0, 7);
  }

  // Transferencia, depósito and cheque need the reference (the hub refuses the payment without
  // it): the field says so and is marked required for the method chosen.
  function markReference() {
    const f = payForm.elements;
    const required = needsReference.has(f.method.value);
    f.reference.required = required;
    f.reference.setAttribute("aria-required", String(required));
    document.getElementById("pay-reference-required").hidden = !required;
  }

  async function open(id) {
    listError.hidden = true;
    const other = !current || current.balance.convenio_id !== id;
    if (other) {
      payForm.reset();
      formErrors(payForm, null, payError);
      formErrors(statement, null, statementError);
      resetPrices();
    }
    try {
      show(await api.get(`/api/web/convenios/${encodeURIComponent(id)}${sedeParam()}`));
      if (other) detail.scrollIntoView({ block: "start" });
    } catch (err) { showError(listError, err); }
  }

  payForm.elements.method.addEventListener("change", markReference);

  payForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    formErrors(payForm, null, payError);
    if (!current) return;
    const f = payForm.elements;
    const body = {
      amount: f.amount.value.trim(), date: f.date.value, method: f.method.value,
      reference: f.reference.value.trim(), note: f.note.value.trim(),
    };
    if (f.invoice.value) body.invoice = f.invoice.value;
    const id = current.balance.convenio_id;
    try {
      const paid = await api.post(`/api/convenios/${encodeURIComponent(id)}/payments`, body);
      payForm.reset();
      markReference();
      flash(`Pago registrado: ${soles(paid.amount)}${paid.invoice ? ` a la factura ${paid.invoice}` : " a cuenta"}.`);
      await Promise.all([load(), open(id)]);
    } catch (err) { formErrors(payForm, err, payError); }
  });

  for (const button of statement.querySelectorAll("[data-statement]")) {
    button.addEventListener("click", async () => {
      formErrors(statement, null, statementError);
      if (!current) return;
      const month = statement.elements.month.value;
      if (!/^\d{4}-\d{2}$/.test(month)) {
        statement.querySelector("[data-error-for=month]").textContent = "Elija el mes del estado de cuenta.";
        return;
      }
      const params = new URLSearchParams({ month, format: button.dataset.statement });
      if (filter.elements.sede.value) params.set("sede", filter.elements.sede.value);
      try {
        const response = await request("GET", `/api/convenios/${encodeURIComponent(current.balance.convenio_id)}/statement?${params}`, undefined, { raw: true });
        const blob = await response.blob();
        const match = /filename="?([^";]+)"?/.exec(response.headers.get("Content-Disposition") || "");
        const link = el("a", { href: URL.createObjectURL(blob), download: match ? match[1] : `estado-cuenta-${month}.${params.get("format")}` });
        document.body.append(link);
        link.click();
        link.remove();
      } catch (err) { formErrors(statement, err, statementError); }
    });
  }

  filter.addEventListener("submit", async (event) => {
    event.preventDefault();
    await load();
    if (current) await open(current.balance.convenio_id);
  });
  await load();
}
