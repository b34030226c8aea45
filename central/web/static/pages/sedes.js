import { api, duration, el, fill, flash, when } from "../lib.js";

export default async function () {
  const tbody = document.querySelector("#nodes tbody");
  let sedes = {};
  try {
    const list = await api.get("/api/config/locations");
    sedes = Object.fromEntries((list.items || []).map((s) => [s.id, `${s.code} · ${s.name}`]));
  } catch { /* ids are shown instead */ }
  const nodes = await api.get("/api/sync/nodes");
  const states = await Promise.all(
    nodes.map((n) => api.get(`/api/sync/nodes/${encodeURIComponent(n.id)}/status`).catch(() => null)),
  );
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
    const parked = await api.get("/api/sync/parked");
    fill(document.querySelector("#parked tbody"), parked.map((p) => el("tr", {},
      el("td", {}, when(p.parked_at)), el("td", {}, p.node_id), el("td", {}, p.record_type),
      el("td", {}, p.record_id), el("td", {}, p.reason), el("td", {}, p.message))), 6, "Ninguna fila apartada.");
  } catch (err) { flash(err.message); }
}
