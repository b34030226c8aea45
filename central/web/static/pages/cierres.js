import { api, el, fill, flash, showError, soles } from "../lib.js";

export default async function () {
  const tbody = document.querySelector("#closures tbody");
  const detail = document.getElementById("closure-detail");
  const form = document.getElementById("reopen-form");
  const error = document.getElementById("reopen-error");
  let current = null;
  let sedes = {};
  try {
    const list = await api.get("/api/config/locations");
    sedes = Object.fromEntries((list.items || []).map((s) => [s.id, s.code]));
  } catch { /* ids are shown instead */ }

  function showClosure(c) {
    current = c;
    detail.hidden = false;
    document.getElementById("closure-title").textContent =
      `Cierre ${sedes[c.sede_id] || c.sede_id} del ${c.business_date} · ${c.status_label}`;
    document.getElementById("closure-reopen-info").textContent = c.reopened_at
      ? `Reabierto por ${c.reopened_by}: ${c.reopen_reason}` : "";
    fill(document.querySelector("#discrepancies tbody"), c.discrepancies.map((d) => el("tr", { class: d.severity },
      el("td", {}, d.severity), el("td", {}, d.kind), el("td", {}, d.message),
      el("td", { class: "num" }, d.expected === null ? "—" : soles(d.expected)),
      el("td", { class: "num" }, d.actual === null ? "—" : soles(d.actual)),
      el("td", { class: "num" }, d.amount === null ? "—" : soles(d.amount)))), 6, "Sin discrepancias.");
  }

  async function open(id) {
    error.hidden = true;
    try { showClosure(await api.get(`/api/reconciliation/closures/${encodeURIComponent(id)}`)); }
    catch (err) { flash(err.message); }
  }

  async function load() {
    const list = await api.get("/api/reconciliation/closures?limit=100");
    fill(tbody, list.items.map((c) => el("tr", { "data-closure": c.id, class: c.critical_count ? "warn" : "" },
      el("td", {}, c.business_date), el("td", {}, sedes[c.sede_id] || c.sede_id), el("td", {}, c.status_label),
      el("td", { class: "num" }, c.discrepancy_count), el("td", { class: "num" }, c.critical_count),
      el("td", {}, c.has_late_adjustments ? "Sí" : "No"),
      el("td", {}, el("button", { type: "button", class: "small", onclick: () => open(c.id) }, "Ver")))),
    7, "No hay cierres en el periodo.");
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
  await load();
}
