// F6: the cash drawer — open with a counted float, blind count by denomination, close.
import { ApiError, get, post } from "../lib/api.js";
import { $, $$, METHOD_LABELS, clear, fmtDateTime, h, toast } from "../lib/dom.js";
import { clearErrors, keepDraft, oneAtATime, setFieldError, showErrors } from "../lib/forms.js";
import { amountText, fmt, toCents, toCentsSigned } from "../lib/money.js";
import { initSessions } from "./caja_sesiones.js";

const DENOMINATIONS = ["200.00", "100.00", "50.00", "20.00", "10.00", "5.00", "2.00", "1.00", "0.50", "0.20", "0.10"];
let session = null;

function denomGrid(kind) {
  const box = clear($(`[data-denoms=${kind}]`));
  for (const d of DENOMINATIONS) {
    const input = h("input", {
      name: `denominations.${d}`, "data-loc": `denominations.${d}`, inputmode: "numeric", maxlength: "5",
      autocomplete: "off", placeholder: "0", "aria-label": `Piezas de S/ ${d}`,
    });
    box.append(h("label", { class: "denom" }, h("span", { text: `S/ ${d}` }), input,
      h("span", { class: "field-error", "data-error-for": `denominations.${d}` })));
  }
  const form = box.closest("form");
  const update = () => {
    let total = 0;
    for (const d of DENOMINATIONS) {
      const n = Number(form.elements[`denominations.${d}`].value || 0);
      if (Number.isInteger(n) && n >= 0) total += n * toCents(d);
    }
    $(`[data-denom-total=${kind}]`).textContent = fmt(total);
  };
  box.addEventListener("input", update);
  return { update };
}

function readDenoms(form) {
  const out = {};
  let ok = true;
  for (const d of DENOMINATIONS) {
    const raw = form.elements[`denominations.${d}`].value.trim();
    if (!raw) continue;
    if (!/^\d{1,5}$/.test(raw)) {
      setFieldError(form, `denominations.${d}`, "Cantidad de piezas: un número entero.");
      ok = false;
      continue;
    }
    if (Number(raw) > 0) out[d] = Number(raw);
  }
  return ok ? out : null;
}

function lines(tbody, items) {
  clear(tbody);
  for (const l of items) {
    const diff = toCentsSigned(l.difference) || 0;
    tbody.append(h("tr", { class: diff ? (diff < 0 ? "neg" : "pos") : "" },
      h("td", { text: METHOD_LABELS[l.method] || l.method }),
      h("td", { class: "r", text: fmt(l.expected) }),
      h("td", { class: "r", text: fmt(l.counted) }),
      h("td", { class: "r", text: fmt(l.difference) })));
  }
}

function showCount(count) {
  $("#count-result").hidden = false;
  lines($("#count-lines tbody"), count.lines);
  const diff = toCentsSigned(count.difference) || 0;
  $("#count-verdict").textContent = diff === 0
    ? "Cuadra: sin diferencia."
    : `Diferencia ${fmt(count.difference)} (límite ${fmt(count.threshold)})${count.needs_approval ? ": el cierre requiere aprobación de un supervisor." : "."}`;
  $("#close-form").hidden = false;
  $("#close-approval").hidden = !count.needs_approval;
}

function showState() {
  const box = clear($("#cash-state"));
  if (!session) {
    box.append(h("p", { text: "No tiene una caja abierta." }));
    return;
  }
  const open = session.status === "abierta";
  box.append(h("p", {},
    h("strong", { text: open ? "Caja abierta" : "Caja cerrada" }),
    `${open ? " desde" : " (abierta el"} ${fmtDateTime(session.opened_at)} · fondo inicial ${fmt(session.opening_float)}${open ? "" : ")"}`));
  if (open) box.append(h("p", { class: "muted small" }, h("kbd", { text: "F3" }), " Nueva orden · el arqueo ciego y el cierre, al final del turno (más abajo)."));
}

async function refresh({ justOpened = false } = {}) {
  try {
    session = await get("/api/cash/sessions/current");
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) session = null;
    else throw err;
  }
  showState();
  $("#open-form").hidden = !!session;
  $("#count-form").hidden = !session;
  $("#move-form").hidden = !session;
  if (!session) {
    $("#open-form").querySelector("input").focus();
    return;
  }
  const detail = await get(`/api/cash/sessions/${encodeURIComponent(session.id)}`);
  const last = detail.counts[detail.counts.length - 1];
  if (last) showCount(last);
  if (justOpened) {
    // Not in the count's first field: a Ctrl+Enter held or pressed twice would declare an
    // empty count. The next step is selling (F3); the count comes at the end of the shift.
    $("#cash-state").focus();
    return;
  }
  $("#count-form").querySelector("input").focus();
}

export async function init({ me } = {}) {
  const openGrid = denomGrid("open");
  const countGrid = denomGrid("count");
  const openForm = $("#open-form");
  const countForm = $("#count-form");
  const closeForm = $("#close-form");
  const moveForm = $("#move-form");
  keepDraft(openForm, "cash-open");
  const dropCount = keepDraft(countForm, "cash-count");
  openGrid.update();
  countGrid.update();

  openForm.addEventListener("submit", oneAtATime(async () => {
    clearErrors(openForm);
    const denominations = readDenoms(openForm);
    if (!denominations) return;
    try {
      await post("/api/cash/sessions", Object.keys(denominations).length ? { denominations } : { opening_float: "0.00" });
      sessionStorage.removeItem("labred.draft.cash-open");
      toast("Caja abierta.", "ok");
      await refresh({ justOpened: true });
    } catch (err) {
      showErrors(openForm, err);
    }
  }));

  moveForm.addEventListener("submit", oneAtATime(async () => {
    clearErrors(moveForm);
    const kind = moveForm.elements.kind.value;
    const amount = amountText(moveForm.elements.amount.value);
    const reason = moveForm.elements.reason.value.trim();
    const bad = [];
    if (toCents(amount) === null || toCents(amount) === 0) bad.push({ msg: "Escriba el monto, p. ej. 20.00.", loc: ["body", "amount"] });
    if (reason.length < 3) bad.push({ msg: "Indique el motivo (3 caracteres o más).", loc: ["body", "reason"] });
    if (bad.length) {
      showErrors(moveForm, { detail: bad });
      return;
    }
    try {
      const move = await post(`/api/cash/sessions/${encodeURIComponent(session.id)}/movements`, { kind, amount, reason });
      const what = `${move.kind === "egreso" ? "Egreso" : "Ingreso"} de ${fmt(amount)}: ${move.reason}`;
      $("#move-list").prepend(h("li", { text: `${fmtDateTime(move.created_at)} · ${what}` }));
      toast(`${what}. Registrado.`, "ok");
      moveForm.elements.amount.value = "";
      moveForm.elements.reason.value = "";
      moveForm.elements.amount.focus();
    } catch (err) {
      showErrors(moveForm, err); // what was typed stays
    }
  }));

  countForm.addEventListener("submit", oneAtATime(async () => {
    clearErrors(countForm);
    const denominations = readDenoms(countForm);
    if (!denominations) return;
    const declared = {};
    for (const m of ["tarjeta", "yape", "plin", "transferencia"]) {
      const raw = countForm.elements[`declared.${m}`].value.trim() || "0.00";
      if (toCents(raw) === null) {
        setFieldError(countForm, `declared.${m}`, "Monto inválido (p. ej. 45.00).");
        return;
      }
      declared[m] = amountText(raw);
    }
    const note = countForm.elements.note.value.trim();
    try {
      const count = await post(`/api/cash/sessions/${encodeURIComponent(session.id)}/count`, { denominations, declared, ...(note ? { note } : {}) });
      dropCount();
      showCount(count);
      closeForm.elements.note.focus();
    } catch (err) {
      showErrors(countForm, err);
    }
  }));

  closeForm.addEventListener("submit", oneAtATime(async () => {
    clearErrors(closeForm);
    const body = {};
    const note = closeForm.elements.note.value.trim();
    if (note) body.note = note;
    const user = closeForm.elements["approval.username"].value.trim();
    if (user) body.approval = { username: user, password: closeForm.elements["approval.password"].value };
    try {
      const summary = await post(`/api/cash/sessions/${encodeURIComponent(session.id)}/close`, body);
      for (const id of ["#count-form", "#close-form", "#count-result", "#move-form"]) $(id).hidden = true;
      $("#close-summary").hidden = false;
      lines($("#summary-lines tbody"), summary.lines);
      $("#summary-verdict").textContent = `Diferencia final: ${fmt(summary.difference)}`;
      session = summary.session;
      showState();
      $("#close-summary a").focus();
      return true; // closed: this form has nothing left to do
    } catch (err) {
      const approval = err.code === "cash_difference_needs_approval" || err.code === "approval_invalid";
      if (approval) $("#close-approval").hidden = false;
      showErrors(closeForm, err);
      if (approval) closeForm.elements["approval.username"].focus();
    }
  }));
  await refresh();
  for (const el of $$("input[name^=denominations]")) el.addEventListener("focus", () => el.select());
  await initSessions(me);
}
