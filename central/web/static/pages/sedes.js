import { api, duration, el, fill, flash, when } from "../lib.js";

export default async function () {
  const tbody = document.querySelector("#nodes tbody");
  // Sedes, nodes with their status (one request) and parked rows, all at once.
  const listing = api.get("/api/web/sedes").catch(() => null); // ids are shown instead
  const parkedRows = api.get("/api/sync/parked");
  parkedRows.catch(() => {}); // reported below
  const health = await api.get("/api/web/sync-health");
  const nodes = health.map((h) => h.node);
  const states = health.map((h) => h.status);
  const list = await listing;
  const sedes = Object.fromEntries(((list && list.items) || []).map((s) => [s.id, `${s.code} · ${s.name}`]));
  fill(tbody, nodes.map((n, i) => {
    const st = states[i] || {};
    const late = st.backlog > 0 || (st.parked_rows || 0) > 0;
    return el("tr", { "data-node": n.id, class: n.revoked ? "muted" : late ? "warn" : "" },
      el("td", {}, n.name), el("td", {}, sedes[n.sede_id] || n.sede_id), el("td", {}, when(n.last_seen_at)),
      el("td", { class: "num" }, st.backlog ?? n.reported_backlog), el("td", {}, duration(st.push_lag_seconds)),
      el("td", { class: "num" }, st.pull_lag_changes ?? "—"), el("td", { class: "num" }, st.parked_rows ?? "—"),
      el("td", {}, n.app_version || "—"), el("td", { class: "num" }, n.schema_version),
      el("td", {}, n.revoked ? "Revocado" : late ? "Con pendientes" : "Al día"));
  }), 10, "No hay nodos registrados.");
  try {
    const parked = await parkedRows;
    fill(document.querySelector("#parked tbody"), parked.map((p) => el("tr", {},
      el("td", {}, when(p.parked_at)), el("td", {}, p.node_id), el("td", {}, p.record_type),
      el("td", {}, p.record_id), el("td", {}, p.reason), el("td", {}, p.message))), 6, "Ninguna fila apartada.");
  } catch (err) { flash(err.message); }
}
