// Notification history (supervisors: their sedes), filtered by status, channel and dates.
import { api, el, fill, showError, when } from "../lib.js";

const STATUS = { pending: "Pendiente", sent: "Enviada", failed: "Fallida", skipped: "Omitida" };
const CHANNELS = { email: "Correo", whatsapp: "WhatsApp", alert: "Alerta" };

export default async function () {
  const form = document.getElementById("ntf-filter");
  const error = document.getElementById("ntf-error");
  const tbody = document.querySelector("#notifications tbody");

  async function load() {
    error.hidden = true;
    const params = new URLSearchParams();
    for (const key of ["status", "channel", "from", "to"]) if (form.elements[key].value) params.set(key, form.elements[key].value);
    try {
      const data = await api.get(`/api/web/notifications?${params}`);
      const sedes = Object.fromEntries(data.sedes.map((s) => [s.id, s.code]));
      fill(tbody, data.items.map((n) => el("tr", { "data-status": n.status, class: n.status === "failed" ? "critical" : "" },
        el("td", {}, when(n.created_at)), el("td", {}, n.event), el("td", {}, CHANNELS[n.channel] || n.channel),
        el("td", {}, n.recipient), el("td", {}, n.sede_id ? sedes[n.sede_id] || "—" : "—"), el("td", {}, n.subject || "—"),
        el("td", {}, STATUS[n.status] || n.status), el("td", { class: "num" }, n.attempts), el("td", {}, n.last_error || ""))),
      9, "No hay notificaciones con esos filtros.");
    } catch (err) { showError(error, err); }
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); load(); });
  await load();
}
