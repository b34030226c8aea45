// Supervisors: how the hub reconciled each business day of this sede (GET /api/closures).
import { get } from "../lib/api.js";
import { $, clear, fmtDate, fmtDateTime, h, todayLima } from "../lib/dom.js";
import { clearErrors, formError, showErrors } from "../lib/forms.js";

const DEFAULT_DAYS = 30;
const SEVERITY = { critical: "Crítica", warning: "Aviso", info: "Info" };

function daysBefore(isoDate, days) {
  const d = new Date(`${isoDate}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

const capitalize = (text) => (text ? text[0].toUpperCase() + text.slice(1) : "");

function findings(c) {
  if (!c.discrepancies.length) return h("span", { class: "muted", text: c.status === "pending_data" ? "Faltan datos de la sede." : "Sin discrepancias." });
  return h("ul", { class: "findings" }, c.discrepancies.map((f) =>
    h("li", { class: `sev-${f.severity}` },
      h("strong", { text: `${SEVERITY[f.severity] || f.severity}: ` }),
      f.message,
      f.records ? h("span", { class: "muted", text: ` (${f.records} registro(s))` }) : null)));
}

function row(c) {
  const counts = c.discrepancy_count ? `${c.discrepancy_count}${c.critical_count ? ` (${c.critical_count} críticas)` : ""}` : "0";
  const late = c.has_late_adjustments ? `${c.late_adjustment_count} ajuste(s) después del cierre` : "—";
  const reopen = c.reopen_count
    ? `${c.reopen_count === 1 ? "1 vez" : `${c.reopen_count} veces`}; última ${fmtDateTime(c.reopened_at)}${c.reopened_by ? ` por ${c.reopened_by}` : ""}${c.reopen_reason ? `: ${c.reopen_reason}` : ""}`
    : "—";
  return h("tr", { class: c.critical_count ? "critical" : "", dataset: { date: c.business_date, status: c.status } },
    h("td", { text: fmtDate(c.business_date) }),
    h("td", {}, h("span", { class: `badge cl-${c.status}`, text: capitalize(c.status_label) }),
      c.closed ? h("span", { class: "muted small", text: ` cerrado ${fmtDateTime(c.closed_at)}` }) : null),
    h("td", { class: "r", text: counts }),
    h("td", {}, findings(c)),
    h("td", { text: late }),
    h("td", { text: reopen }));
}

async function load() {
  const form = $("#cl-filters");
  clearErrors(form);
  const from = $("#cl-from").value;
  const to = $("#cl-to").value;
  if (from && to && from > to) {
    showErrors(form, { detail: [{ msg: "«Desde» no puede ser posterior a «Hasta».", loc: ["query", "desde"] }] });
    return;
  }
  const params = new URLSearchParams();
  if (from) params.set("desde", from);
  if (to) params.set("hasta", to);
  try {
    const list = await get(`/api/closures?${params}`);
    const tbody = clear($("#closures tbody"));
    list.items.forEach((c) => tbody.append(row(c)));
    if (!list.items.length) {
      tbody.append(h("tr", {}, h("td", { colspan: "6", class: "muted", text: "La central aún no ha conciliado días de esta sede en este rango (o no se ha sincronizado)." })));
    }
    const bad = list.items.filter((c) => c.discrepancy_count > 0).length;
    $("#cl-count").textContent = `${list.total} día(s) · ${bad} con discrepancias`;
  } catch (err) {
    if (err.status === 403) formError(form, "Solo un supervisor de la sede ve los cierres de la central.");
    else showErrors(form, err);
  }
}

export async function init() {
  const params = new URLSearchParams(location.search);
  const today = todayLima();
  $("#cl-to").value = params.get("hasta") || today;
  $("#cl-from").value = params.get("desde") || daysBefore($("#cl-to").value || today, DEFAULT_DAYS);
  $("#cl-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    const q = new URLSearchParams({ desde: $("#cl-from").value, hasta: $("#cl-to").value });
    history.replaceState(null, "", `${location.pathname}?${q}`);
    load();
  });
  await load();
  $("#cl-from").focus();
}
