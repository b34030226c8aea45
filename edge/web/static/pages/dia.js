// Supervisors: the business day's figures, its seal ("Cerrar el día") and its reopening.
import { PREFIX, get, post } from "../lib/api.js";
import { $, METHOD_LABELS, STATUS_LABELS, clear, fmtDate, fmtDateTime, h, sunatLabel, toast, todayLima } from "../lib/dom.js";
import { askReason, clearErrors, formError, oneAtATime, showErrors } from "../lib/forms.js";
import { fmt } from "../lib/money.js";
import { onKey } from "../lib/shell.js";
import { userNames } from "../lib/users.js";

const DAY_LABELS = { abierto: "Abierto", sellado: "Cerrado (sellado)", reabierto: "Reabierto" };
const DOC_LABELS = { "01": "Facturas", "03": "Boletas", "07": "Notas de crédito", "08": "Notas de débito" };
let day = null;
let perms = new Set();
let nameOf = (id) => id || "—";

const statusOf = (d) => d.status || (d.sealed ? "sellado" : "abierto");
const cents = (n) => fmt(Number(n || 0));

function fill(tbody, rows) {
  clear(tbody);
  for (const [label, count, total] of rows) {
    tbody.append(h("tr", {}, h("td", { text: label }), h("td", { class: "r", text: String(count) }), h("td", { class: "r", text: cents(total) })));
  }
  if (!rows.length) tbody.append(h("tr", {}, h("td", { colspan: "3", class: "muted", text: "Nada registrado." })));
}

function showFigures(f) {
  const orders = f.orders || {};
  const pays = f.payments || {};
  const cash = f.cash_sessions || {};
  const docs = f.invoices || f.documents || {};
  const summary = clear($("#fig-summary tbody"));
  const line = (label, value, id) => summary.append(h("tr", { dataset: { fig: id } }, h("th", { text: label }), h("td", { class: "r", text: value })));
  line("Órdenes", `${orders.count || 0} · ${cents(orders.total_cents)}`, "orders");
  line("Cobrado", `${pays.count || 0} · ${cents(pays.total_cents)}`, "payments");
  line("Comprobantes", docs.available === false ? "—" : `${docs.count || 0} · ${cents(docs.total_cents)}`, "documents");
  line("Cajas (abiertas)", `${cash.count || 0} (${cash.open || 0})`, "cash_sessions");
  line("Esperado en cajas", cents(cash.expected_cents), "expected");
  line("Contado en cajas", cents(cash.counted_cents), "counted");
  line("Diferencia", cents(cash.difference_cents), "difference");
  line("Muestras", String((f.samples || {}).count || 0), "samples");
  fill($("#fig-orders tbody"), Object.entries(orders.by_status || {}).map(([k, v]) => [STATUS_LABELS[k] || k, v.count, v.total_cents]));
  fill($("#fig-payments tbody"), Object.entries(pays.by_method || {}).map(([k, v]) => [METHOD_LABELS[k] || k, v.count, v.total_cents]));
  const docRows = [
    ...Object.entries(docs.by_type || {}).map(([k, v]) => [DOC_LABELS[k] || k, v.count, v.total_cents]),
    ...Object.entries(docs.by_state || {}).map(([k, v]) => [`SUNAT: ${sunatLabel(k)}`, v.count, v.total_cents]),
  ];
  fill($("#fig-documents tbody"), docRows);
}

function showState(d) {
  const status = statusOf(d);
  const box = clear($("#day-state"));
  box.dataset.status = status;
  box.append(h("p", { class: "big" }, h("strong", { text: `Día ${fmtDate(d.business_date)}: ` }),
    h("span", { class: `badge day-${status}`, id: "day-status", text: DAY_LABELS[status] || status })));
  if (d.sealed || d.seal_id) {
    box.append(h("p", { class: "muted", id: "day-sealed-by", text: `${status === "sellado" ? "Sellado" : "Sellado por última vez"} el ${fmtDateTime(d.sealed_at || d.created_at)} por ${nameOf(d.closed_by)}.` }));
  }
  if (d.reopen_count) {
    const times = d.reopen_count === 1 ? "1 vez" : `${d.reopen_count} veces`;
    box.append(h("p", { id: "day-reopened" },
      `Reabierto ${times}; la última el ${fmtDateTime(d.reopened_at)} por ${nameOf(d.reopened_by)}`,
      d.reopen_reason ? h("span", {}, ". Motivo: ", h("q", { text: d.reopen_reason })) : "."));
  }
  if (status !== "sellado") box.append(h("p", { class: "muted small", text: "Las cifras son las de este momento: cambian mientras el día siga abierto." }));
}

function showActions(d) {
  const status = statusOf(d);
  $("#day-close").hidden = !(perms.has("day.close") && status !== "sellado");
  $("#day-reopen").hidden = !(perms.has("day.reopen") && status === "sellado");
}

async function load() {
  const form = $("#day-filters");
  clearErrors(form);
  const picked = $("#d-date").value;
  try {
    day = await get(`/api/cash/day/${encodeURIComponent(picked || "hoy")}`);
  } catch (err) {
    $("#day-figures").hidden = true;
    clear($("#day-state")).append(h("p", { class: "muted", text: "Sin datos." }));
    if (err.status === 403) formError(form, "Solo un supervisor de la sede ve y cierra el día.");
    else showErrors(form, err, { day: "date" });
    return;
  }
  if (!picked) $("#d-date").value = day.business_date;
  showState(day);
  showFigures(day.figures || {});
  $("#day-figures").hidden = false;
  showActions(day);
}

function askClose() {
  const dialog = $("#close-dialog");
  const form = $("#close-day-form");
  clearErrors(form);
  $("#close-day-open").hidden = true;
  $("#close-day-label").textContent = fmtDate(day.business_date);
  const f = day.figures || {};
  $("#close-day-recap").textContent = `${(f.orders || {}).count || 0} orden(es) por ${cents((f.orders || {}).total_cents)}; cobrado ${cents((f.payments || {}).total_cents)}; ${(f.cash_sessions || {}).count || 0} caja(s).`;
  $("#close-day-cancel").onclick = () => dialog.close();
  form.onsubmit = oneAtATime(async () => {
    clearErrors(form);
    const date = day.business_date === todayLima() ? null : day.business_date;
    try {
      day = await post("/api/cash/day/close", { date });
      dialog.close();
      toast(`Día ${fmtDate(day.business_date)} cerrado.`, "ok");
      showState(day);
      showFigures(day.figures || {});
      showActions(day);
    } catch (err) {
      formError(form, err.message);
      if (err.code === "cash_sessions_open") {
        $("#close-day-open-link").href = `${PREFIX}/caja?dia=${encodeURIComponent(day.business_date)}`;
        $("#close-day-open").hidden = false;
      }
    }
  });
  dialog.showModal();
  form.querySelector("button[type=submit]").focus();
}

function askReopen() {
  $("#reopen-day-label").textContent = fmtDate(day.business_date);
  askReason($("#reopen-dialog"), $("#reopen-day-form"), $("#reopen-day-cancel"), {
    min: 5,
    missing: "Indique el motivo de la reapertura (5 caracteres o más).",
    send: (reason) => post(`/api/cash/day/${encodeURIComponent(day.business_date)}/reopen`, { reason }),
    done: (reopened) => {
      day = reopened;
      toast(`Día ${fmtDate(day.business_date)} reabierto.`, reopened.warning ? "warn" : "ok");
      showState(day);
      // The hub could not be asked whether it had closed the day: say so until the page reloads.
      if (reopened.warning) $("#day-state").append(h("p", { class: "warn-note", id: "day-hub-warning", role: "alert", text: reopened.warning }));
      showFigures(day.figures || {});
      showActions(day);
    },
  });
}

export async function init({ me }) {
  perms = new Set((me && me.permissions) || []);
  nameOf = await userNames();
  const params = new URLSearchParams(location.search);
  $("#d-date").value = params.get("dia") || "";
  $("#d-date").max = todayLima();
  $("#day-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    history.replaceState(null, "", `${location.pathname}?${new URLSearchParams({ dia: $("#d-date").value })}`);
    load();
  });
  $("#d-date").addEventListener("change", () => $("#day-filters").requestSubmit());
  $("#d-today").addEventListener("click", () => {
    $("#d-date").value = todayLima();
    $("#day-filters").requestSubmit();
  });
  $("#day-close").addEventListener("click", askClose);
  $("#day-reopen").addEventListener("click", askReopen);
  onKey("Ctrl+Enter", () => {
    if (document.querySelector("dialog[open]") || $("#day-close").hidden) return false;
    askClose();
    return true;
  });
  await load();
  ($("#day-close").hidden ? $("#d-date") : $("#day-close")).focus();
}
