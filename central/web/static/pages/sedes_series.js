// Sedes and their series (one per document type) and cash thresholds; admins create and edit.
import { api, byCode, el, fill, flash, formErrors, soles } from "../lib.js";

const SERIES_LABELS = {
  "01": "Factura", "03": "Boleta", "07F": "N. crédito (factura)", "07B": "N. crédito (boleta)",
  "08F": "N. débito (factura)", "08B": "N. débito (boleta)", contingency01: "Factura contingencia",
  contingency03: "Boleta contingencia",
};

export default async function () {
  const tbody = document.querySelector("#sedes-admin tbody");
  const editor = document.getElementById("sede-editor");
  const form = document.getElementById("sede-form");
  const general = document.getElementById("sede-error");
  let data = { items: [], series_keys: [], can_edit: false };
  let editing = null;

  function open(sede) {
    editing = sede;
    editor.hidden = false;
    formErrors(form, null, general);
    form.reset();
    document.getElementById("sede-editor-title").textContent = sede ? `Editar ${sede.code} · ${sede.name}` : "Nueva sede";
    for (const node of editor.querySelectorAll("[data-only]")) node.hidden = node.dataset.only !== (sede ? "edit" : "create");
    document.getElementById("sede-series").replaceChildren(...data.series_keys.map((key) => el("label", {},
      SERIES_LABELS[key] || key,
      el("input", { name: `series.${key}`, "data-series": key, maxlength: 4, size: 5, value: sede ? sede.series[key] || "" : "",
        placeholder: sede ? "" : "automática" }))));
    const f = form.elements;
    if (sede) {
      for (const key of ["name", "address", "ubigeo", "establishment_code", "cash_threshold", "cash_difference_threshold"]) f[key].value = sede[key];
      f.active.checked = sede.active;
      f.name.focus();
    } else {
      f.establishment_code.value = "0000";
      f.cash_threshold.value = "2000.00";
      f.cash_difference_threshold.value = "10.00";
      f.code.focus();
    }
  }

  function body() {
    const f = form.elements;
    const out = {};
    for (const key of ["name", "address", "ubigeo", "establishment_code"]) out[key] = f[key].value.trim();
    for (const key of ["cash_threshold", "cash_difference_threshold"]) out[key] = f[key].value.trim().replace(",", ".");
    const series = {};
    for (const input of form.querySelectorAll("[data-series]")) {
      const value = input.value.trim();
      if (value) series[input.dataset.series] = value;
    }
    if (editing || Object.keys(series).length) out.series = editing ? { ...editing.series, ...series } : series;
    if (editing) out.active = f.active.checked;
    else out.code = f.code.value.trim();
    return out;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formErrors(form, null, general);
    try {
      const saved = editing
        ? await api.put(`/api/config/locations/${encodeURIComponent(editing.id)}`, body())
        : await api.post("/api/config/locations", body());
      editor.hidden = true;
      flash(`Sede ${saved.code} guardada.`);
      await load();
    } catch (err) { formErrors(form, err, general); }
  });
  document.getElementById("sede-cancel").addEventListener("click", () => { editor.hidden = true; });
  document.getElementById("sede-new").addEventListener("click", () => open(null));

  async function load() {
    data = await api.get("/api/web/sedes");
    document.getElementById("sede-new").hidden = !data.can_edit;
    fill(tbody, [...data.items].sort(byCode).map((s) => el("tr", { "data-sede": s.code, class: s.active ? "" : "muted" }, // S99 before S100
      el("td", {}, s.code), el("td", {}, s.name), el("td", {}, s.address || "—"),
      el("td", { class: "series-list" }, Object.entries(s.series).map(([k, v]) => `${SERIES_LABELS[k] || k}: ${v}`).join(" · ") || "—"),
      el("td", { class: "num" }, soles(s.cash_threshold)), el("td", { class: "num" }, soles(s.cash_difference_threshold)),
      el("td", {}, s.active ? "Activa" : "Inactiva"),
      el("td", {}, data.can_edit ? el("button", { type: "button", class: "small", onclick: () => open(s) }, "Editar") : null))),
    8, "No hay sedes.");
  }
  await load();
}
