// Chain settings (edit: config.manage) and the history of their changes.
import { api, el, fill, flash, formErrors, soles, when } from "../lib.js";

const LABELS = {
  discount_approval_threshold_pct: "Descuento con aprobación (%)",
  sunat_factura_deadline_days: "Plazo facturas (días)",
  sunat_boleta_deadline_days: "Plazo boletas (días)",
  sunat_factura_void: "Anulación de facturas",
  sunat_baja_days: "Plazo de baja (días)",
  reconciliation_hour: "Hora de conciliación",
  retention_audit_days: "Auditoría (días)",
  retention_backup_days: "Copias (días)",
  price_override_max: "Precio modificado máximo (S/)",
  results_delivery_hours: "Entrega de resultados",
};
// sent as text, as typed (amounts and percentages: "," read as the decimal point)
const TEXT_FIELDS = new Set(["reconciliation_hour", "discount_approval_threshold_pct", "price_override_max"]);
const show = (v) => (v === null || v === undefined ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v));
// results_delivery_hours: {"mon": "07:00-19:00", ..., "sun": ""} <-> "lun 07:00-19:00, ..., dom cerrado"
const DAYS = [["mon", "lun"], ["tue", "mar"], ["wed", "mié"], ["thu", "jue"], ["fri", "vie"], ["sat", "sáb"], ["sun", "dom"]];
const HOURS = "results_delivery_hours";
const fold = (t) => t.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
function hoursText(v) {
  if (!v || typeof v !== "object") return show(v);
  return DAYS.map(([key, name]) => `${name} ${v[key] ? v[key] : "cerrado"}`).join(", ");
}
// what the admin typed back into the object the API takes; anything else is sent as typed (the
// hub answers which day or range is wrong, in Spanish)
function hoursValue(textValue) {
  const out = {};
  for (const part of textValue.split(",")) {
    const m = part.trim().match(/^(\S+)\s+(.+)$/);
    const day = m && DAYS.find(([, name]) => fold(name) === fold(m[1]));
    if (!day) return textValue;
    out[day[0]] = fold(m[2].trim()) === "cerrado" ? "" : m[2].replace(/\s+/g, "");
  }
  return out;
}
const shown = (key, v) => (key === HOURS ? hoursText(v) : show(v));
// a history value as the form names it: the option's text, not its code ("nota_credito"), and
// amounts in soles (es-PE: "S/ 50,000.00")
function told(form, field, v) {
  if (v === null || v === undefined) return "—";
  if (field === "price_override_max") return soles(v);
  if (field === HOURS) return hoursText(v);
  if (field === "discount_approval_threshold_pct") return `${show(v)} %`;
  const select = form.elements[field];
  if (select && select.tagName === "SELECT") {
    const option = [...select.options].find((o) => o.value === String(v));
    if (option) return option.textContent;
  }
  return show(v);
}

export default async function () {
  const form = document.getElementById("settings-form");
  const general = document.getElementById("settings-error");
  let current = null;

  function render(data) {
    current = data.values;
    for (const key of Object.keys(LABELS)) form.elements[key].value = shown(key, current[key]);
    document.getElementById("settings-updated").textContent = `Última modificación: ${when(current.updated_at)}`;
    for (const input of form.querySelectorAll("input")) input.readOnly = !data.can_edit;
    for (const select of form.querySelectorAll("select")) select.disabled = !data.can_edit;
    document.getElementById("settings-save").hidden = !data.can_edit;
    fill(document.querySelector("#settings-history tbody"), data.history.map((h) => el("tr", { "data-field": h.field },
      el("td", {}, when(h.changed_at)), el("td", {}, LABELS[h.field] || h.field),
      el("td", {}, told(form, h.field, h.old_value)), el("td", {}, told(form, h.field, h.new_value)),
      el("td", {}, h.changed_by_username || "—"))),
    5, "Sin cambios registrados.");
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formErrors(form, null, general);
    const changes = {};
    for (const key of Object.keys(LABELS)) {
      const value = form.elements[key].value.trim();
      if (value === shown(key, current[key])) continue;
      if (key === HOURS) { changes[key] = hoursValue(value); continue; }
      changes[key] = TEXT_FIELDS.has(key)
        ? value.replace(",", ".") : (/^\d+$/.test(value) ? Number(value) : value);
    }
    if (!Object.keys(changes).length) { flash("No hay cambios que guardar."); return; }
    try {
      await api.put("/api/config/settings", changes);
      render(await api.get("/api/web/settings"));
      flash("Parámetros guardados.");
    } catch (err) { formErrors(form, err, general); }
  });
  render(await api.get("/api/web/settings"));
}
