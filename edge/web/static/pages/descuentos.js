// F9 (supervisors): the sede's discount requests; approve (optional comment) or reject (reason).
import { PREFIX, get, post } from "../lib/api.js";
import { $, $$, clear, fmtDateTime, h, toast } from "../lib/dom.js";
import { clearErrors, oneAtATime, showErrors } from "../lib/forms.js";
import { fmt } from "../lib/money.js";
import { onKey } from "../lib/shell.js";
import { REQUEST_LABELS, describe } from "./discount_request.js";

const POLL_MS = 10000;
let rows = [];
let active = 0;

function focusRow(i) {
  const trs = $$("#dq tbody tr[data-id]");
  if (!trs.length) return;
  active = Math.max(0, Math.min(i, trs.length - 1));
  trs[active].focus();
}

function decide(req, mode) {
  if (req.status !== "pendiente") return;
  const dialog = $("#decide-dialog");
  const form = $("#decide-form");
  const approve = mode === "approve";
  clearErrors(form);
  form.elements.reason.value = "";
  $("#decide-verb").textContent = approve ? "Aprobar" : "Rechazar";
  $("#decide-number").textContent = req.order_number;
  $("#decide-summary").textContent = `${describe(req)} — pedido por ${req.requested_by_name}.`;
  $("#decide-label").textContent = approve ? "Comentario (opcional)" : "Motivo del rechazo";
  const submit = $("#decide-submit");
  submit.className = approve ? "primary" : "danger";
  submit.firstChild.textContent = approve ? "Aprobar " : "Rechazar ";
  $("#decide-close").onclick = () => dialog.close();
  form.onsubmit = oneAtATime(async () => {
    clearErrors(form);
    const reason = form.elements.reason.value.trim();
    if (!approve && reason.length < 3) {
      showErrors(form, { detail: [{ msg: "Indique el motivo del rechazo (3 caracteres o más).", loc: ["body", "reason"] }] });
      return;
    }
    const path = `/api/discount-requests/${encodeURIComponent(req.id)}/${approve ? "approve" : "reject"}`;
    try {
      const done = await post(path, approve ? (reason ? { reason } : {}) : { reason });
      dialog.close();
      const due = done.order ? ` Saldo a cobrar: ${fmt(done.order.balance)}.` : "";
      toast(`${done.order_number}: descuento ${REQUEST_LABELS[done.status].toLowerCase()}.${due}`, "ok");
      await load();
      focusRow(active);
    } catch (err) {
      showErrors(form, err); // the reason stays typed
    }
  });
  dialog.showModal();
  form.elements.reason.focus();
}

function row(r, i) {
  const actions = h("td", { class: "actions-cell" });
  if (r.status === "pendiente") {
    actions.append(
      h("button", { type: "button", class: "small primary", text: "Aprobar", onclick: () => decide(r, "approve") }),
      h("button", { type: "button", class: "small danger", text: "Rechazar", onclick: () => decide(r, "reject") }));
  }
  const what = r.kind === "percent" ? `${r.value} %` : fmt(r.value);
  const status = [REQUEST_LABELS[r.status] || r.status];
  if (r.decided_by_name) status.push(`por ${r.decided_by_name}`);
  if (r.decision_reason) status.push(`— ${r.decision_reason}`);
  const tr = h("tr", { tabindex: "0", dataset: { id: r.id, order: r.order_number, status: r.status } },
    h("td", {}, h("a", { href: `${PREFIX}/ordenes/${encodeURIComponent(r.order_id)}`, text: r.order_number })),
    h("td", { text: fmtDateTime(r.created_at) }),
    h("td", { text: r.requested_by_name }),
    h("td", { text: `${what} (${r.pct} %)` }),
    h("td", { class: "r", text: fmt(r.amount) }),
    h("td", { text: r.reason }),
    h("td", { class: `dr-${r.status}`, text: status.join(" ") }),
    actions);
  tr.addEventListener("focus", () => { active = i; });
  tr.addEventListener("keydown", (event) => {
    if (event.target !== tr || event.ctrlKey || event.altKey || event.metaKey) return;
    const key = event.key.toLowerCase();
    if (event.key === "ArrowDown") { focusRow(i + 1); event.preventDefault(); }
    else if (event.key === "ArrowUp") { focusRow(i - 1); event.preventDefault(); }
    else if (event.key === "Enter") location.assign(`${PREFIX}/ordenes/${encodeURIComponent(r.order_id)}`);
    else if (key === "a") { event.preventDefault(); decide(r, "approve"); }
    else if (key === "x") { event.preventDefault(); decide(r, "reject"); }
  });
  return tr;
}

async function load() {
  const filters = $("#dq-filters");
  clearErrors(filters);
  const params = new URLSearchParams({ page_size: "200" });
  const status = $("#dq-status").value;
  if (status === "todas") params.set("all", "true");
  else params.set("status", status);
  if ($("#dq-date").value) params.set("date", $("#dq-date").value);
  try {
    const page = await get(`/api/discount-requests?${params}`);
    rows = page.items;
    const tbody = clear($("#dq tbody"));
    rows.forEach((r, i) => tbody.append(row(r, i)));
    if (!rows.length) {
      const empty = status === "pendiente" ? "No hay descuentos por aprobar." : "No hay solicitudes con estos filtros.";
      tbody.append(h("tr", {}, h("td", { colspan: "8", class: "muted", text: empty })));
    }
    $("#dq-count").textContent = `${page.total} solicitud(es)`;
  } catch (err) {
    if (err.status === 403) {
      clear($("#dq tbody")).append(h("tr", {}, h("td", { colspan: "8", class: "muted", text: "Solo un supervisor de la sede aprueba descuentos." })));
    }
    showErrors(filters, err);
  }
}

export async function init() {
  const params = new URLSearchParams(location.search);
  $("#dq-status").value = params.get("estado") || "pendiente";
  $("#dq-date").value = params.get("dia") || "";
  for (const el of [$("#dq-status"), $("#dq-date")]) {
    el.addEventListener("change", () => {
      const q = new URLSearchParams({ estado: $("#dq-status").value, dia: $("#dq-date").value });
      history.replaceState(null, "", `${location.pathname}?${q}`);
      load();
    });
  }
  $("#dq-filters").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  $("#dq-reload").addEventListener("click", load);
  onKey("F9", () => { focusRow(0); });
  setInterval(async () => {
    if (document.hidden || document.querySelector("dialog[open]")) return;
    const hadFocus = Boolean(document.activeElement && document.activeElement.closest("#dq tbody"));
    await load();
    if (hadFocus) focusRow(active);
  }, POLL_MS);
  await load();
  focusRow(0);
}
