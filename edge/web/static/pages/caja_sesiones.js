// Supervisors on the F6 page: the day's cash sessions of every cashier, one session's
// movements and adjustments, and reopening a closed session with a reason.
import { get, post } from "../lib/api.js";
import { $, $$, METHOD_LABELS, clear, fmtDateTime, fmtTime, h, toast, todayLima } from "../lib/dom.js";
import { askReason, clearErrors, showErrors } from "../lib/forms.js";
import { fmt } from "../lib/money.js";
import { onKey } from "../lib/shell.js";
import { userNames } from "../lib/users.js";

const KIND_LABELS = { ingreso: "Ingreso", egreso: "Egreso", ajuste: "Ajuste (corrección)" };
let nameOf = (id) => id || "—";
let canReopen = false;
let sessions = [];
let shown = null;

function focusRow(i) {
  const trs = $$("#sessions tbody tr[data-id]");
  if (trs.length) trs[Math.max(0, Math.min(i, trs.length - 1))].focus();
}

function row(s, i) {
  const closed = s.status === "cerrada";
  const actions = h("td", { class: "actions-cell" },
    h("button", { type: "button", class: "small", text: "Ver", onclick: () => show(s.id) }),
    closed && canReopen ? h("button", { type: "button", class: "small danger", text: "Reabrir", onclick: () => askReopen(s) }) : null);
  const tr = h("tr", { tabindex: "0", dataset: { id: s.id, status: s.status } },
    h("td", { text: nameOf(s.cashier_id) }),
    h("td", { text: fmtTime(s.opened_at) }),
    h("td", {}, h("span", { class: `badge cs-${s.status}`, text: closed ? "Cerrada" : "Abierta" })),
    h("td", { text: closed ? `${fmtTime(s.closed_at)} por ${nameOf(s.closed_by)}` : "—" }),
    h("td", { class: "r", text: s.difference === null ? "—" : fmt(s.difference) }),
    h("td", { class: "small", text: s.reopened_count ? `${s.reopened_count}${s.reopen_reason ? `: ${s.reopen_reason}` : ""}` : "—" }),
    actions);
  tr.addEventListener("keydown", (event) => {
    if (event.target !== tr) return;
    if (event.key === "ArrowDown") { focusRow(i + 1); event.preventDefault(); }
    else if (event.key === "ArrowUp") { focusRow(i - 1); event.preventDefault(); }
    else if (event.key === "Enter") show(s.id);
    else if (event.key.toLowerCase() === "r" && closed && canReopen) { event.preventDefault(); askReopen(s); }
  });
  return tr;
}

async function loadList() {
  const form = $("#sessions-filters");
  clearErrors(form);
  const params = new URLSearchParams({ limit: "200" });
  if ($("#s-date").value) params.set("date", $("#s-date").value);
  try {
    const page = await get(`/api/cash/sessions?${params}`);
    sessions = page.items;
    const tbody = clear($("#sessions tbody"));
    sessions.forEach((s, i) => tbody.append(row(s, i)));
    if (!sessions.length) tbody.append(h("tr", {}, h("td", { colspan: "7", class: "muted", text: "No hubo cajas ese día." })));
    const open = sessions.filter((s) => s.status === "abierta").length;
    $("#sessions-count").textContent = `${page.total} caja(s) · ${open} abierta(s)`;
  } catch (err) {
    showErrors(form, err);
  }
}

function fact(dl, label, value) {
  dl.append(h("dt", { text: label }), h("dd", { text: value }));
}

async function show(id) {
  let detail;
  try {
    detail = await get(`/api/cash/sessions/${encodeURIComponent(id)}`);
  } catch (err) {
    toast(err.message, "error");
    return;
  }
  const s = detail.session;
  shown = s;
  $("#session-view").hidden = false;
  $("#session-view").dataset.id = s.id;
  $("#sv-cashier").textContent = nameOf(s.cashier_id);
  const dl = clear($("#sv-facts"));
  fact(dl, "Estado", s.status === "cerrada" ? "Cerrada" : "Abierta");
  fact(dl, "Apertura", `${fmtDateTime(s.opened_at)} · fondo ${fmt(s.opening_float)}`);
  if (s.closed_at) fact(dl, "Cierre", `${fmtDateTime(s.closed_at)} por ${nameOf(s.closed_by)}${s.closing_note ? ` · ${s.closing_note}` : ""}`);
  if (s.difference !== null) fact(dl, "Diferencia al cierre", fmt(s.difference));
  if (s.difference_approved_by) fact(dl, "Diferencia aprobada por", nameOf(s.difference_approved_by));
  if (s.reopened_count) fact(dl, "Reaperturas", `${s.reopened_count}${s.reopen_reason ? ` · último motivo: ${s.reopen_reason}` : ""}`);
  const sum = detail.summary;
  if (sum) {
    fact(dl, "Ventas", sum.sales.map((t) => `${METHOD_LABELS[t.method] || t.method} ${fmt(t.total)}`).join(" · ") || "—");
    fact(dl, "Ajustes posteriores", fmt(sum.adjustments_total));
    fact(dl, "Diferencia con ajustes", fmt(sum.adjusted_difference));
  }
  const last = detail.counts[detail.counts.length - 1];
  if (last) fact(dl, "Último arqueo", `${fmtDateTime(last.created_at)} · contado ${fmt(last.counted_total)}`);
  const tbody = clear($("#sv-moves tbody"));
  const moves = sum ? sum.movements : [];
  for (const m of moves) {
    tbody.append(h("tr", { class: m.kind === "ajuste" ? "adjustment" : "", dataset: { kind: m.kind } },
      h("td", { text: fmtDateTime(m.created_at) }),
      h("td", { text: KIND_LABELS[m.kind] || m.kind }),
      h("td", { class: "r", text: fmt(m.amount) }),
      h("td", { text: m.reason }),
      h("td", { text: nameOf(m.user_id) })));
  }
  if (!moves.length) {
    tbody.append(h("tr", {}, h("td", { colspan: "5", class: "muted", text: sum ? "Sin movimientos ni ajustes." : "Se listan al cerrar la caja." })));
  }
  $("#sv-reopen").hidden = !(canReopen && s.status === "cerrada");
  $("#sv-reopen").onclick = () => askReopen(s);
}

function askReopen(s) {
  $("#rs-cashier").textContent = nameOf(s.cashier_id);
  askReason($("#reopen-session-dialog"), $("#reopen-session-form"), $("#rs-cancel"), {
    min: 5,
    missing: "Indique el motivo de la reapertura (5 caracteres o más).",
    send: (reason) => post(`/api/cash/sessions/${encodeURIComponent(s.id)}/reopen`, { reason }),
    done: async () => {
      toast(`Caja de ${nameOf(s.cashier_id)} reabierta: necesita un nuevo arqueo.`, "ok");
      await loadList();
      await show(s.id);
    },
  });
}

// Shown to users who may reopen sessions (supervisors); ``?dia=`` picks the day.
export async function initSessions(me) {
  const perms = new Set((me && me.permissions) || []);
  canReopen = perms.has("cash.reopen");
  if (!canReopen) return;
  nameOf = await userNames();
  $("#sessions-card").hidden = false;
  $("#s-date").value = new URLSearchParams(location.search).get("dia") || todayLima();
  $("#s-date").addEventListener("change", loadList);
  $("#sessions-filters").addEventListener("submit", (event) => { event.preventDefault(); loadList(); });
  onKey("key:r", () => {
    if (!shown || shown.status !== "cerrada" || document.querySelector("dialog[open]")) return false;
    askReopen(shown);
    return true;
  });
  await loadList();
}
