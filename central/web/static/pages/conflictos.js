// Sync conflicts: what the hub merged or noticed (duplicate patients, concurrent edits, clocks).
import { api, el, fecha, fill, flash, when } from "../lib.js";

const show = (v) => (v === null || v === undefined ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v));
// a birth date reads "28/11/1990" like every date of the pages
const value = (c, v) => (c.field === "birth_date" && typeof v === "string" ? fecha(v) : show(v));
// central/sync (patients.py, service.py)
const KINDS = {
  duplicate_identity: "Paciente duplicado (mismo documento)",
  concurrent_field_edit: "Edición simultánea de un dato",
  clock_skew: "Reloj del nodo desfasado",
};
const RECORDS = { patient: "Paciente", node: "Nodo" };
const FIELDS = {
  first_names: "Nombres", last_names: "Apellidos", birth_date: "Fecha de nacimiento", sex: "Sexo",
  phone: "Teléfono", email: "Correo", address: "Dirección", doc_type: "Tipo de documento",
  doc_number: "N.º de documento",
};

export default async function () {
  const tbody = document.querySelector("#conflicts tbody");
  const status = document.getElementById("conflict-status");
  let nodes = {};
  try {
    const health = await api.get("/api/web/sync-health");
    nodes = Object.fromEntries(health.map((h) => [h.node.id, h.node.name]));
  } catch { /* node ids are shown instead */ }

  function record(c) {
    if (c.record_type === "node") return nodes[c.record_id] || `${RECORDS.node} ${c.record_id}`; // names read "Nodo S01"
    const what = `${RECORDS[c.record_type] || c.record_type} ${c.record_id}`;
    const doc = c.details && c.details.doc_number ? ` (doc. ${c.details.doc_number})` : "";
    return what + doc;
  }

  function actions(c) {
    if (c.status !== "open") return el("td", {}, c.resolution || "");
    const choices = c.kind === "field" || c.field
      ? [["kept", "Mantener vigente"], ["other", "Aplicar sobrescrito"]]
      : [["acknowledge", "Dar por revisado"]];
    return el("td", {}, ...choices.map(([choice, label]) => el("button", {
      type: "button", class: "small", "data-choice": choice,
      onclick: async () => {
        try {
          await api.post(`/api/sync/conflicts/${encodeURIComponent(c.id)}/resolve`, { choice });
          flash("Conflicto resuelto.");
          await load();
        } catch (err) { flash(err.message); }
      },
    }, label)));
  }

  async function load() {
    const q = status.value ? `?status=${status.value}` : "";
    const rows = await api.get(`/api/sync/conflicts${q}`);
    fill(tbody, rows.map((c) => el("tr", { "data-conflict": c.id, "data-kind": c.kind },
      el("td", {}, when(c.created_at)), el("td", { title: c.kind }, KINDS[c.kind] || c.kind), el("td", {}, record(c)),
      el("td", {}, c.field ? FIELDS[c.field] || c.field : "—"), el("td", {}, value(c, c.kept_value)), el("td", {}, value(c, c.other_value)),
      el("td", {}, c.status === "open" ? "Abierto" : "Resuelto"), actions(c))), 8, "No hay conflictos.");
  }
  status.addEventListener("change", () => load().catch((err) => flash(err.message)));
  await load();
}
