import { api, duration, el, fill, flash, when } from "../lib.js";

// The node's disk as its last push or pull stated it (central/sync/disk.py): "lleno · 12 MB" in
// red, "bajo · 150 MB" in amber, plain when ok, "—" when the node never said (older versions).
const DISK_PROBLEMS = ["lleno", "bajo"];
const megas = (mb) => `${Number(mb).toLocaleString("es-PE")} MB`;
function diskCell(st) {
  const level = st.disk_level;
  if (!level) return el("td", { class: "disk", "data-disk": "" }, "—");
  const problem = DISK_PROBLEMS.includes(level);
  return el("td", { class: problem ? `disk ${level}` : "disk", "data-disk": level,
    title: st.disk_reported_at ? `Informado ${when(st.disk_reported_at)}` : null },
  st.disk_free_mb === null || st.disk_free_mb === undefined ? level : `${level} · ${megas(st.disk_free_mb)}`);
}

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
  // With 100 nodes the ones that need a look come first (pending rows or a disk bajo/lleno, then
  // revoked), each group by sede code, and a count says how many there are; the box hides the
  // nodes that are up to date.
  const late = (i) => (health[i].status || {}).backlog > 0 || ((health[i].status || {}).parked_rows || 0) > 0;
  const diskProblem = (i) => DISK_PROBLEMS.includes((health[i].status || {}).disk_level);
  const rank = (i) => (nodes[i].revoked ? 1 : late(i) || diskProblem(i) ? 0 : 2);
  const code = (i) => sedes[nodes[i].sede_id] || nodes[i].sede_id;
  const order = nodes.map((_, i) => i).sort((a, b) => rank(a) - rank(b)
    || code(a).localeCompare(code(b), "es", { numeric: true }) || nodes[a].name.localeCompare(nodes[b].name));
  const counts = [0, 0, 0];
  for (const i of order) counts[rank(i)] += 1;
  const pending = order.filter((i) => !nodes[i].revoked && late(i)).length;
  const disks = order.filter((i) => !nodes[i].revoked && diskProblem(i)).length;
  document.getElementById("nodes-summary").textContent = nodes.length
    ? `${nodes.length} nodos: ${counts[2]} al día · ${pending} con pendientes · ${counts[1]} revocados`
      + (disks ? ` · ${disks} con disco bajo o lleno` : "") : "";
  const lateOnly = document.getElementById("nodes-late-only");
  function show() {
    const shown = lateOnly.checked ? order.filter((i) => rank(i) < 2) : order;
    fill(tbody, shown.map((i) => {
      const n = nodes[i];
      const st = states[i] || {};
      const state = n.revoked ? "Revocado" : late(i) ? "Con pendientes" : diskProblem(i) ? "Revisar disco" : "Al día";
      return el("tr", { "data-node": n.id, class: n.revoked ? "muted" : rank(i) === 0 ? "warn" : "" },
        el("td", {}, n.name), el("td", {}, code(i)), el("td", {}, when(n.last_seen_at)),
        el("td", { class: "num" }, st.backlog ?? n.reported_backlog), el("td", {}, duration(st.push_lag_seconds)),
        el("td", { class: "num" }, st.pull_lag_changes ?? "—"), el("td", { class: "num" }, st.parked_rows ?? "—"),
        diskCell(st), el("td", {}, n.app_version || "—"), el("td", { class: "num" }, n.schema_version),
        el("td", {}, state));
    }), 11, lateOnly.checked ? "Todos los nodos están al día." : "No hay nodos registrados.");
  }
  lateOnly.addEventListener("change", show);
  show();
  try {
    const parked = await parkedRows;
    fill(document.querySelector("#parked tbody"), parked.map((p) => el("tr", {},
      el("td", {}, when(p.parked_at)), el("td", {}, p.node_id), el("td", {}, p.record_type),
      el("td", {}, p.record_id), el("td", {}, p.reason), el("td", {}, p.message))), 6, "Ninguna fila apartada.");
  } catch (err) { flash(err.message); }
}
