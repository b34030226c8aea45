// Alarms across sedes: a sede machine whose disk is bajo or lleno (what its node last told the
// hub, central/sync/disk.py), and SUNAT documents rejected, past their sending deadline, or near it.
import { api, el, fecha, fill, sedePicker, showError, soles, when } from "../lib.js";

const KINDS = { rechazado: "Rechazado por SUNAT", vencido: "Fuera de plazo", por_vencer: "Por vencer" };
const DISK_ADVICE = {
  lleno: "Las ventas pueden fallar: el técnico debe liberar espacio ya.",
  bajo: "Pedir al técnico que libere espacio antes de que se llene.",
};
const diskRow = (d) => el("tr", { "data-disk": d.level, "data-sede": d.sede_code, class: d.level === "bajo" ? "warn" : "critical" },
  el("td", {}, d.sede_name ? `${d.sede_code} · ${d.sede_name}` : d.sede_code), el("td", {}, d.node_name),
  el("td", { class: `disk ${d.level}` }, `${d.level} · ${Number(d.free_mb).toLocaleString("es-PE")} MB`),
  el("td", { class: "when" }, when(d.reported_at)), el("td", {}, DISK_ADVICE[d.level] || ""));

export default async function () {
  const form = document.getElementById("alarm-filter");
  const error = document.getElementById("alarm-error");
  const tbody = document.querySelector("#alarms tbody");
  let sedesLoaded = false;

  async function load() {
    error.hidden = true;
    const params = new URLSearchParams();
    if (form.elements.sede.value) params.set("sede", form.elements.sede.value);
    if (form.elements.days.value.trim()) params.set("days", form.elements.days.value.trim());
    try {
      const data = await api.get(`/api/web/sunat-alarms?${params}`);
      if (!sedesLoaded) {
        sedePicker(form.elements.sede, data.sedes);
        sedesLoaded = true;
      }
      fill(document.querySelector("#disk-alarms tbody"), (data.disks || []).map(diskRow), 5,
        "Ningún equipo de sede informa disco bajo o lleno.");
      const counts = { rechazado: 0, vencido: 0, por_vencer: 0 };
      for (const a of data.items) counts[a.kind] += 1;
      document.getElementById("alarm-summary").textContent =
        `${counts.rechazado} rechazados · ${counts.vencido} fuera de plazo · ${counts.por_vencer} por vencer (al ${fecha(data.today)})`;
      fill(tbody, data.items.map((a) => el("tr", { "data-alarm": a.kind, "data-document": a.document, class: a.kind === "por_vencer" ? "warn" : "" },
        el("td", {}, a.sede_code), el("td", {}, a.document), el("td", {}, a.doc_label), el("td", {}, fecha(a.business_date)),
        el("td", {}, fecha(a.deadline)),
        el("td", { class: `kind ${a.kind}` }, a.kind === "vencido" ? `${KINDS[a.kind]} (${a.days_late} d)` : KINDS[a.kind]),
        el("td", {}, a.state), el("td", {}, a.customer_name), el("td", { class: "num" }, soles(a.total)), el("td", {}, a.detail))),
      10, "Sin alarmas: todos los comprobantes están dentro de plazo.");
    } catch (err) { showError(error, err); }
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); load(); });
  await load();
}
