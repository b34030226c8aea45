// Supervisors: the audit log (GET /api/audit) with date, action and user filters, paginated.
import { get } from "../lib/api.js";
import { $, clear, fmtDateTime, h, todayLima } from "../lib/dom.js";
import { clearErrors, formError, showErrors } from "../lib/forms.js";
import { onKey } from "../lib/shell.js";
import { loadUsers } from "../lib/users.js";

const PAGE = 50;
const DEFAULT_DAYS = 7;
// What each action means at the counter (edge/*: audit.record(action=...)); others show as is.
export const ACTION_LABELS = {
  login: "Ingreso al sistema",
  login_failed: "Ingreso fallido",
  logout: "Salida del sistema",
  refresh_token_reused: "Sesión reutilizada (posible robo)",
  "order.cancel": "Anulación de orden",
  "order.discount": "Descuento en orden",
  "order.price_override": "Cambio de precio",
  "discount.request": "Descuento solicitado",
  "discount.approve": "Descuento aprobado",
  "discount.reject": "Descuento rechazado",
  "discount.withdraw": "Descuento retirado",
  "cash.open": "Apertura de caja",
  "cash.ingreso": "Ingreso de efectivo",
  "cash.egreso": "Egreso de efectivo",
  "cash.close": "Cierre de caja",
  "cash.reopen": "Reapertura de caja",
  "cash.adjust": "Ajuste de caja",
  "cash.difference_approved": "Diferencia de caja aprobada",
  "day.close": "Cierre del día",
  "day.reopen": "Reapertura del día",
  "invoice.resend": "Reenvío de comprobante",
  "invoice.credit_terms_note": "Nota de crédito (plazos)",
  "convenio.invoice": "Factura a convenio",
  "convenio.credit_note": "Nota de crédito a convenio",
  "convenio.credit_rejected": "Nota de crédito rechazada",
  "convenio.credit_retry": "Nota de crédito reintentada",
  "label.reprint": "Reimpresión de etiqueta",
  "sample.reject": "Rechazo de muestra",
  patient_export: "Exportación de datos del paciente",
};
let offset = 0;
let total = 0;

function daysBefore(isoDate, days) {
  const d = new Date(`${isoDate}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

// "Anulación de orden" typed or picked from the list means action "order.cancel".
function actionCode(text) {
  const value = text.trim();
  const found = Object.entries(ACTION_LABELS).find(([, label]) => label.toLowerCase() === value.toLowerCase());
  return found ? found[0] : value;
}

function details(d) {
  const entries = Object.entries(d || {});
  if (!entries.length) return "—";
  return entries.map(([k, v]) => `${k}: ${typeof v === "object" && v !== null ? JSON.stringify(v) : v}`).join(" · ");
}

function row(e) {
  return h("tr", { dataset: { action: e.action, id: e.id } },
    h("td", { text: fmtDateTime(e.created_at) }),
    h("td", {}, h("span", { text: ACTION_LABELS[e.action] || e.action }), h("span", { class: "muted small mono", text: ` ${e.action}` })),
    h("td", { text: e.username || e.user_id || "—" }),
    h("td", { class: "small", text: e.record_type ? `${e.record_type} ${e.record_id || ""}`.trim() : "—" }),
    h("td", { class: "small", text: details(e.details) }),
    h("td", { class: "small mono", text: e.ip || "—" }));
}

function query() {
  const params = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
  const from = $("#au-from").value;
  const to = $("#au-to").value;
  const action = actionCode($("#au-action").value);
  if (from) params.set("date_from", from);
  if (to) params.set("date_to", to);
  if (action) params.set("action", action);
  if ($("#au-user").value) params.set("user_id", $("#au-user").value);
  return params;
}

async function load() {
  const form = $("#au-filters");
  clearErrors(form);
  if ($("#au-from").value && $("#au-to").value && $("#au-from").value > $("#au-to").value) {
    showErrors(form, { detail: [{ msg: "«Desde» no puede ser posterior a «Hasta».", loc: ["query", "date_from"] }] });
    return;
  }
  try {
    const page = await get(`/api/audit?${query()}`);
    total = page.total;
    const tbody = clear($("#audit tbody"));
    page.items.forEach((e) => tbody.append(row(e)));
    if (!page.items.length) tbody.append(h("tr", {}, h("td", { colspan: "6", class: "muted", text: "No hay eventos con estos filtros." })));
    const last = Math.min(offset + page.items.length, total);
    $("#au-count").textContent = `${total} evento(s)`;
    $("#au-page").textContent = total ? `${offset + 1}–${last} de ${total}` : "";
    $("#au-prev").disabled = offset === 0;
    $("#au-next").disabled = last >= total;
  } catch (err) {
    if (err.status === 403) formError(form, "Solo un supervisor de la sede ve la auditoría.");
    else showErrors(form, err);
  }
}

function go(delta) {
  const next = offset + delta;
  if (next < 0 || next >= Math.max(total, 1)) return;
  offset = next;
  load();
}

export async function init() {
  const params = new URLSearchParams(location.search);
  const today = todayLima();
  $("#au-to").value = params.get("hasta") || today;
  $("#au-from").value = params.get("desde") || daysBefore($("#au-to").value || today, DEFAULT_DAYS);
  $("#au-action").value = params.get("accion") || "";
  const list = $("#au-actions");
  for (const [code, label] of Object.entries(ACTION_LABELS)) list.append(h("option", { value: label }, code));
  for (const u of await loadUsers()) {
    $("#au-user").append(h("option", { value: u.id, text: `${u.full_name || u.username} (${u.username})${u.active ? "" : " — inactivo"}` }));
  }
  $("#au-user").value = params.get("usuario") || "";
  $("#au-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    offset = 0;
    const q = new URLSearchParams({ desde: $("#au-from").value, hasta: $("#au-to").value, accion: $("#au-action").value, usuario: $("#au-user").value });
    history.replaceState(null, "", `${location.pathname}?${q}`);
    load();
  });
  $("#au-user").addEventListener("change", () => $("#au-filters").requestSubmit());
  $("#au-prev").addEventListener("click", () => go(-PAGE));
  $("#au-next").addEventListener("click", () => go(PAGE));
  onKey("key:PageDown", () => go(PAGE));
  onKey("key:PageUp", () => go(-PAGE));
  await load();
  $("#au-from").focus();
}
