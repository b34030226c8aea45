// The hub's audit trail (audit.read), newest first, by pages: filtered by sede, action, user, record
// and dates. An admin sees every event (chain-wide ones too) and may pick any sede; a supervisor
// sees only the events of their sedes (the API scopes it) and the filter offers only those.
// Every text comes from the API and is shown as text.
import { api, cents, currentUser, el, fecha, fill, formErrors, pager, sedePicker, soles, when } from "../lib.js";

const PAGE = 50;
// central/*: the actions the hub records (an unknown one is shown as recorded)
export const ACTIONS = {
  login: "Inicio de sesión",
  login_failed: "Inicio de sesión fallido",
  refresh_reused: "Sesión reutilizada (revocada)",
  password_forgot: "Olvido de contraseña",
  password_forgot_unknown: "Olvido de contraseña (usuario desconocido)",
  password_reset: "Contraseña restablecida",
  "user.create": "Usuario creado",
  "user.update": "Usuario modificado",
  "user.deactivate": "Usuario desactivado",
  "user.password_reset": "Contraseña de usuario restablecida",
  "settings.update": "Parámetros modificados",
  "company.update": "Empresa modificada",
  "sede.create": "Sede creada",
  "sede.update": "Sede modificada",
  "catalog.category_create": "Categoría creada",
  "catalog.category_update": "Categoría modificada",
  "catalog.category_deactivate": "Categoría desactivada",
  "catalog.service_create": "Examen creado",
  "catalog.service_update": "Examen modificado",
  "catalog.service_deactivate": "Examen desactivado",
  "catalog.price_change": "Cambio de precio",
  "catalog.price_schedule": "Precio programado",
  "catalog.price_cancel": "Precio programado cancelado",
  "catalog.price_list_cancel": "Lista de precios programados cancelada",
  "reconciliation.execute": "Conciliación ejecutada",
  "reconciliation.reopen": "Cierre reabierto",
  "patient.search": "Búsqueda de pacientes",
  "patient.read": "Consulta de paciente",
  "patient.orders": "Órdenes de un paciente",
  "convenio.create": "Convenio creado",
  "convenio.update": "Convenio modificado",
  "convenio.payment": "Pago de convenio",
  "convenio.statement": "Estado de cuenta de convenio",
  "lab_system.create": "Sistema de laboratorio creado",
  "lab_system.update": "Sistema de laboratorio modificado",
  "lab_sede.update": "Laboratorio de una sede modificado",
  "lab_code_map.update": "Códigos de laboratorio modificados",
  "backup.create": "Copia de seguridad creada",
  "backup.restore": "Copia de seguridad restaurada",
};
const label = (action) => ACTIONS[action] || action;
const RECORDS = {
  backup: "Copia de seguridad", catalog_category: "Categoría", catalog_service: "Examen",
  company: "Empresa", convenio: "Convenio", convenio_payment: "Pago de convenio",
  lab_system: "Sistema de laboratorio", node: "Nodo", patient: "Paciente",
  reconciliation_closure: "Cierre", sede: "Sede", setting: "Parámetro", user: "Usuario",
};

const isAdmin = () => (currentUser() || {}).role === "admin";

// The details' keys and coded values as the reader says them (an unknown key or value is shown
// as recorded): "precio: S/ 36.00", "sedes: S01, S02", "estado: conciliado", not "price_cents: 3600".
const KEYS = {
  amount: "monto", business_date: "día", changes: "cambios", code: "código", convenio_id: "convenio",
  date: "fecha", discrepancies: "discrepancias", effective_from: "vigente desde", email_domain: "dominio del correo",
  family_id: "sesión", fields: "campos", figures: "cifras", file: "archivo", format: "formato",
  invoice_id: "factura", kind: "tipo", lab_system_id: "sistema de laboratorio", late_adjustments: "ajustes tardíos",
  listener_port: "puerto", method: "medio", month: "mes", orders: "órdenes", previous_status: "estado anterior",
  price_cents: "precio", protocol: "protocolo", q_sha256: "búsqueda (huella)", reason: "motivo",
  reference: "referencia", results: "resultados", role: "rol", ruc: "RUC", sede_id: "sede", sede_ids: "sedes",
  status: "estado", username: "usuario",
};
const FIELDS = {
  active: "activo", address: "dirección", category_id: "categoría", credit_days: "días de crédito",
  discount_approval_threshold_pct: "descuento con aprobación", email: "correo", full_name: "nombre completo",
  igv_affectation: "afectación IGV", is_panel: "perfil", loinc: "LOINC", name: "nombre",
  panel_service_ids: "exámenes del perfil", price: "precio", price_override_max: "precio modificado máximo",
  reconciliation_hour: "hora de conciliación", results_delivery_hours: "horario de entrega de resultados", retention_audit_days: "conservación de la auditoría",
  retention_backup_days: "conservación de copias", role: "rol", sample_type: "tipo de muestra",
  sede_ids: "sedes", sunat_baja_days: "plazo de baja", sunat_boleta_deadline_days: "plazo de boletas",
  sunat_factura_deadline_days: "plazo de facturas", sunat_factura_void: "anulación de facturas", tube: "tubo",
  turnaround_hours: "tiempo de entrega",
};
const CODES = {
  status: { reconciled: "conciliado", with_discrepancies: "con discrepancias", pending_data: "pendiente de datos", reopened: "reabierto" },
  role: { admin: "Administrador general", supervisor: "Supervisor de sede", recepcionista: "Recepcionista", laboratorista: "Laboratorista" },
  method: { efectivo: "Efectivo", tarjeta: "Tarjeta", yape: "Yape", plin: "Plin", transferencia: "Transferencia", deposito: "Depósito", cheque: "Cheque" },
  reason: { inactive: "usuario inactivo", credentials: "usuario o contraseña incorrectos" },
};
CODES.previous_status = CODES.status;
const DATES = new Set(["business_date", "date", "effective_from"]); // days, shown as "28/11/2026"

function details(value, sedes) {
  const entries = Object.entries(value || {});
  if (!entries.length) return "—";
  const sede = (id) => sedes[id] || id;
  const plain = (v) => (typeof v === "object" && v !== null ? JSON.stringify(v) : String(v));
  const shown = (k, v) => {
    if (v === null || v === undefined || v === "") return "—";
    if (typeof v === "boolean") return v ? "sí" : "no";
    if (k.endsWith("_cents")) return cents(v);
    if (k === "amount") return soles(v);
    if (DATES.has(k)) return fecha(v);
    if (k === "sede_id") return sede(v);
    if (k === "sede_ids" && Array.isArray(v)) return v.map(sede).join(", ") || "—";
    if (k === "fields" && Array.isArray(v)) return v.map((f) => FIELDS[f] || f).join(", ");
    if (k === "changes" && typeof v === "object") {
      return Object.entries(v).map(([f, c]) => (c && typeof c === "object" && "new" in c
        ? `${FIELDS[f] || f}: ${shown(f, c.old)} → ${shown(f, c.new)}` : `${FIELDS[f] || f}: ${plain(c)}`)).join(", ");
    }
    return (CODES[k] && CODES[k][v]) || plain(v);
  };
  return entries.map(([k, v]) => `${KEYS[k] || k}: ${shown(k, v)}`).join(" · ");
}

export default async function () {
  const form = document.getElementById("audit-filters");
  const general = document.getElementById("audit-error");
  const tbody = document.querySelector("#audit tbody");
  const pages = document.getElementById("audit-pager");
  let sedes = {};
  const [known, visible] = await Promise.allSettled([api.get("/api/audit/actions"), api.get("/api/web/sedes")]);
  if (known.status === "fulfilled") {
    form.elements.action.append(...known.value.items.map((a) => el("option", { value: a }, label(a))));
  } /* else: the filter offers "Todas" only */
  if (visible.status === "fulfilled") {
    const list = visible.value.items || [];
    sedes = Object.fromEntries(list.map((s) => [s.id, s.code]));
    if (!isAdmin()) form.elements.sede_id.options[0].textContent = "Todas mis sedes";
    sedePicker(form.elements.sede_id, list);
  }

  async function load(offset = 0) {
    formErrors(form, null, general);
    const params = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
    for (const key of ["sede_id", "action", "username", "record_type", "record_id", "from", "to"]) {
      const value = form.elements[key].value.trim();
      if (value) params.set(key, value);
    }
    let list;
    try { list = await api.get(`/api/audit?${params}`); } catch (err) {
      fill(tbody, [], 7, "Corrija los filtros.");
      pages.hidden = true;
      formErrors(form, err, general);
      return;
    }
    fill(tbody, list.items.map((e) => el("tr", { "data-action": e.action, "data-id": e.id },
      el("td", { class: "when" }, when(e.created_at)),
      el("td", { title: e.sede_id || "" }, e.sede_id ? sedes[e.sede_id] || e.sede_id : "Cadena"),
      el("td", {}, e.username || "—"),
      el("td", { title: e.action }, label(e.action)),
      el("td", { title: e.record_type || "" }, e.record_type ? `${RECORDS[e.record_type] || e.record_type} ${e.record_id || ""}`.trim() : "—"),
      el("td", {}, e.ip || "—"), el("td", { class: "details" }, details(e.details, sedes)))),
    7, [...params.keys()].length > 2 ? "Ningún evento coincide con los filtros." : "Aún no hay eventos.");
    pager(pages, { offset, limit: PAGE, shown: list.items.length, total: list.total }, (next) => load(next));
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); load(0); });
  await load(0);
}
