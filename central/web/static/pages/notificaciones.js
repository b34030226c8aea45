// Notification history (supervisors: their sedes), filtered by status, channel and dates, by pages.
import { api, el, fill, pager, showError, when } from "../lib.js";

const PAGE = 100;
const STATUS = { pending: "Pendiente", sent: "Enviada", failed: "Fallida", skipped: "Omitida" };
const CHANNELS = { email: "Correo", whatsapp: "WhatsApp", alert: "Alerta" };
// central/notifications/templates.py EVENTS (the same labels as the templates page)
const EVENTS = {
  order_created: "Orden registrada", invoice_accepted: "Comprobante aceptado", results_ready: "Resultados listos",
  discrepancy_found: "Discrepancia en conciliación", manual: "Manual",
};

export default async function () {
  const form = document.getElementById("ntf-filter");
  const error = document.getElementById("ntf-error");
  const tbody = document.querySelector("#notifications tbody");
  const pages = document.getElementById("ntf-pager");

  async function load(offset = 0) {
    error.hidden = true;
    const params = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
    for (const key of ["status", "channel", "from", "to"]) if (form.elements[key].value) params.set(key, form.elements[key].value);
    try {
      const data = await api.get(`/api/web/notifications?${params}`);
      const sedes = Object.fromEntries(data.sedes.map((s) => [s.id, s.code]));
      fill(tbody, data.items.map((n) => el("tr", { "data-status": n.status, "data-event": n.event, class: n.status === "failed" ? "critical" : "" },
        el("td", {}, when(n.created_at)), el("td", {}, EVENTS[n.event] || n.event), el("td", {}, CHANNELS[n.channel] || n.channel),
        el("td", {}, n.recipient), el("td", {}, n.sede_id ? sedes[n.sede_id] || "—" : "—"), el("td", {}, n.subject || "—"),
        el("td", {}, STATUS[n.status] || n.status), el("td", { class: "num" }, n.attempts), el("td", {}, n.last_error || ""))),
      9, "No hay notificaciones con esos filtros.");
      pager(pages, { offset, limit: PAGE, shown: data.items.length, more: data.has_more }, load);
    } catch (err) { showError(error, err); }
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); load(); });
  await load();
}
