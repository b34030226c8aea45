// Daily closures of the sedes the user sees, by pages and filtered by sede, dates and state; one
// closure's findings, its download (xlsx/PDF) and its reopening; running the reconciliation of a
// sede's day by hand (reconciliation.run).
import { api, can, download, el, fecha, fill, flash, formErrors, limaDate, pager, sedePicker, showError, soles } from "../lib.js";

const PAGE = 50;
const REOPENABLE = new Set(["reconciled", "with_discrepancies"]);
// the states as the list and the detail show them: STATUS_LABELS of central/reconciliation/models.py, capitalized
const STATUS = {
  reconciled: "Conciliado", with_discrepancies: "Con discrepancias", pending_data: "Pendiente de datos", reopened: "Reabierto",
};
const state = (c) => STATUS[c.status] || (c.status_label ? c.status_label[0].toUpperCase() + c.status_label.slice(1) : c.status);
const SEVERITY = { critical: "Crítica", warning: "Advertencia", info: "Aviso" };
// domain/reconciliation (documents, payments, seal) and central/reconciliation (late_records)
const KINDS = {
  seal_mismatch: "Sello del día no coincide",
  seal_method_mismatch: "Sello: medio de pago no coincide",
  series_gap: "Salto en la numeración",
  paid_without_document: "Pagado sin comprobante",
  document_without_order: "Comprobante sin orden",
  document_rejected: "Rechazado por SUNAT",
  document_unsent_past_deadline: "Sin enviar fuera de plazo",
  document_deadline_today: "Plazo SUNAT vence hoy",
  cash_session_open: "Caja sin cerrar",
  cash_over: "Sobrante de caja",
  cash_short: "Faltante de caja",
  method_difference: "Diferencia por medio de pago",
  payment_without_order: "Pago sin orden",
  order_payments_mismatch: "Pagos no cuadran con la orden",
  late_records: "Registros tardíos",
};

export default async function () {
  const tbody = document.querySelector("#closures tbody");
  const pages = document.getElementById("closures-pager");
  const detail = document.getElementById("closure-detail");
  const form = document.getElementById("reopen-form");
  const error = document.getElementById("reopen-error");
  let current = null;
  let offset = 0;
  let sedes = {};
  const filters = document.getElementById("closure-filters");
  const filterError = document.getElementById("closure-filter-error");
  const run = document.getElementById("run-form");
  const runError = document.getElementById("run-error");
  const exportError = document.getElementById("export-error");
  try {
    // report.read: a supervisor gets their own sedes (the codes shown instead of ids)
    const list = await api.get("/api/web/sedes");
    sedes = Object.fromEntries((list.items || []).map((s) => [s.id, s.code]));
    sedePicker(filters.elements.sede, list.items || [], { remember: "cierres" });
    sedePicker(run.elements.sede_id, list.items || []);
  } catch { /* ids are shown instead */ }
  document.getElementById("run-section").hidden = !can("reconciliation.run");
  run.elements.date.value = limaDate(1);
  run.elements.date.max = limaDate(0);

  function showClosure(c) {
    current = c;
    detail.hidden = false;
    exportError.textContent = "";
    document.getElementById("closure-title").textContent =
      `Cierre ${sedes[c.sede_id] || c.sede_id} del ${fecha(c.business_date)} · ${state(c)}`;
    document.getElementById("closure-reopen-info").textContent = c.reopened_at
      ? `Reabierto por ${c.reopened_by}: ${c.reopen_reason}` : "";
    // only a reconciled day can be reopened (the hub refuses the others with 409)
    form.hidden = !can("reconciliation.reopen") || !REOPENABLE.has(c.status) || !c.closed_at;
    fill(document.querySelector("#discrepancies tbody"), c.discrepancies.map((d) => el("tr", { class: d.severity, "data-kind": d.kind },
      el("td", {}, SEVERITY[d.severity] || d.severity), el("td", { title: d.kind }, KINDS[d.kind] || d.kind), el("td", {}, d.message),
      el("td", { class: "num" }, d.expected === null ? "—" : soles(d.expected)),
      el("td", { class: "num" }, d.actual === null ? "—" : soles(d.actual)),
      el("td", { class: "num" }, d.amount === null ? "—" : soles(d.amount)))), 6, "Sin discrepancias.");
  }

  async function open(id) {
    error.hidden = true;
    try {
      showClosure(await api.get(`/api/reconciliation/closures/${encodeURIComponent(id)}`));
      // the detail is under the list (50 rows a page): bring it to the reader
      detail.scrollIntoView({ block: "start" });
    } catch (err) { flash(err.message); }
  }

  async function load(at = offset) {
    const params = new URLSearchParams({ limit: String(PAGE), offset: String(at) });
    for (const key of ["sede", "from", "to", "status"]) {
      const value = filters.elements[key].value;
      if (value) params.set(key, value);
    }
    const list = await api.get(`/api/reconciliation/closures?${params}`);
    offset = at;
    fill(tbody, list.items.map((c) => el("tr", { "data-closure": c.id, "data-day": c.business_date, class: c.critical_count ? "warn" : "" },
      el("td", {}, fecha(c.business_date)), el("td", {}, sedes[c.sede_id] || c.sede_id), el("td", {}, state(c)),
      el("td", { class: "num" }, c.discrepancy_count), el("td", { class: "num" }, c.critical_count),
      el("td", {}, c.has_late_adjustments ? "Sí" : "No"),
      el("td", {}, el("button", { type: "button", class: "small", onclick: () => open(c.id) }, "Ver")))),
    7, [...params.keys()].length > 2 ? "Ningún cierre coincide con los filtros."
      : "Aún no hay cierres: la central concilia cada día de cada sede.");
    pager(pages, { offset, limit: PAGE, shown: list.items.length, total: list.total },
      (next) => load(next).catch((err) => flash(err.message)));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    if (!current) return;
    const reason = String(new FormData(form).get("reason") || "").trim();
    try {
      showClosure(await api.post(`/api/reconciliation/closures/${encodeURIComponent(current.id)}/reopen`, { reason }));
      form.reset();
      flash("Cierre reabierto.");
      await load();
    } catch (err) { showError(error, err); }
  });
  filters.addEventListener("submit", async (event) => {
    event.preventDefault();
    filterError.hidden = true;
    try { await load(0); } catch (err) { showError(filterError, err); }
  });

  run.addEventListener("submit", async (event) => {
    event.preventDefault();
    formErrors(run, null, runError);
    const body = { sede_id: run.elements.sede_id.value, date: run.elements.date.value };
    try {
      const closure = await api.post("/api/reconciliation/execute", body);
      showClosure(closure);
      detail.scrollIntoView({ block: "nearest" });
      flash(`Conciliación de ${sedes[closure.sede_id] || closure.sede_id} del ${fecha(closure.business_date)}: ${closure.status_label}, ${closure.discrepancy_count} discrepancia(s).`);
      await load();
    } catch (err) { formErrors(run, err, runError); }
  });

  for (const button of detail.querySelectorAll("[data-format]")) {
    button.addEventListener("click", async () => {
      exportError.textContent = "";
      if (!current) return;
      const format = button.dataset.format;
      try {
        await download("GET", `/api/reconciliation/closures/${encodeURIComponent(current.id)}/export?format=${format}`,
          undefined, `cierre-${current.business_date}.${format}`);
      } catch (err) { exportError.textContent = err.message; }
    });
  }
  await load(0);
}
