// The hub's audit trail (audit.read), newest first, by pages: filtered by sede, action, user, record
// and dates. An admin sees every event (chain-wide ones too) and may pick any sede; a supervisor
// sees only the events of their sedes (the API scopes it) and the filter offers only those.
// Every text comes from the API and is shown as text.
import { api, currentUser, el, fill, formErrors, pager, when } from "../lib.js";

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

function details(value) {
  const entries = Object.entries(value || {});
  if (!entries.length) return "—";
  return entries.map(([k, v]) => `${k}: ${typeof v === "object" && v !== null ? JSON.stringify(v) : v}`).join(" · ");
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
    form.elements.sede_id.append(...list.map((s) => el("option", { value: s.id }, `${s.code} · ${s.name}`)));
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
      el("td", {}, when(e.created_at)),
      el("td", { title: e.sede_id || "" }, e.sede_id ? sedes[e.sede_id] || e.sede_id : "Cadena"),
      el("td", {}, e.username || "—"),
      el("td", { title: e.action }, label(e.action)),
      el("td", { title: e.record_type || "" }, e.record_type ? `${RECORDS[e.record_type] || e.record_type} ${e.record_id || ""}`.trim() : "—"),
      el("td", {}, e.ip || "—"), el("td", { class: "details" }, details(e.details)))),
    7, [...params.keys()].length > 2 ? "Ningún evento coincide con los filtros." : "Aún no hay eventos.");
    pager(pages, { offset, limit: PAGE, shown: list.items.length, total: list.total }, (next) => load(next));
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); load(0); });
  await load(0);
}
