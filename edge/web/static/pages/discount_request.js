// The order page's "discount with approval": ask a supervisor through the queue and follow
// the request (pending -> approved / rejected / expired / withdrawn) without leaving the page.
import { get, post } from "../lib/api.js";
import { $, fmtDateTime, toast } from "../lib/dom.js";
import { clearErrors, oneAtATime, showErrors, values } from "../lib/forms.js";
import { amountText, fmt, toCents } from "../lib/money.js";
import { onKey } from "../lib/shell.js";

export const REQUEST_LABELS = {
  pendiente: "Pendiente de aprobación",
  aprobada: "Aprobada",
  rechazada: "Rechazada",
  vencida: "Vencida (terminó el día)",
  anulada: "Anulada (orden anulada)",
  retirada: "Retirada",
};
const POLL_MS = 5000;
const CLOSED = new Set(["anulada", "entregada"]);

const storageKey = (orderId) => `labred.discountRequest.${orderId}`;

export function describe(req) {
  const what = req.kind === "percent" ? `${req.value} %` : fmt(req.value);
  return `${what} = ${fmt(req.amount)} (${req.pct} % del subtotal) · ${req.reason}`;
}

export function initDiscountRequest({ me, onDecided }) {
  const perms = new Set((me && me.permissions) || []);
  const allowed = perms.has("discount.apply") || perms.has("discount.approve");
  const card = $("#discount-card");
  const form = $("#dr-form");
  let order = null;
  let current = null;
  let timer = null;

  function stopPolling() {
    clearInterval(timer);
    timer = null;
  }

  function paint() {
    const closed = !order || CLOSED.has(order.status);
    const discounted = order && order.discount_total && order.discount_total !== "0.00";
    const pending = current && current.status === "pendiente";
    // Paid in full: a discount would leave the patient owed money (the API refuses it).
    const settled = order && toCents(order.balance) === 0 && toCents(order.paid_total) > 0;
    form.hidden = !allowed || closed || discounted || pending || settled;
    $("#dr-state").hidden = !current;
    card.hidden = !allowed || (form.hidden && !current);
    if (!current) return;
    const status = $("#dr-status");
    status.textContent = REQUEST_LABELS[current.status] || current.status;
    status.className = `badge dr-${current.status}`;
    $("#dr-summary").textContent = describe(current);
    const decision = [`Pedido por ${current.requested_by_name} (${fmtDateTime(current.created_at)})`];
    if (current.decided_by_name) decision.push(`decidió ${current.decided_by_name} (${fmtDateTime(current.decided_at)})`);
    if (current.decision_reason) decision.push(`motivo: ${current.decision_reason}`);
    if (pending) decision.push(`vence ${fmtDateTime(current.expires_at)}; mientras espera, la orden no admite pagos`);
    $("#dr-decision").textContent = decision.join(" · ");
    $("#dr-withdraw").hidden = !pending;
    if (pending) $("#pay-form").hidden = true; // the API refuses payments until the decision
  }

  async function follow(requestId, { quiet = false } = {}) {
    try {
      const before = current && current.status;
      current = await get(`/api/discount-requests/${encodeURIComponent(requestId)}`);
      if (current.status === "pendiente") {
        if (!timer) timer = setInterval(() => follow(requestId, { quiet: true }), POLL_MS);
      } else {
        stopPolling();
        if (before === "pendiente") {
          toast(`Descuento ${REQUEST_LABELS[current.status].toLowerCase()}.`, current.status === "aprobada" ? "ok" : "warn");
          await onDecided();
          return;
        }
      }
      paint();
    } catch (err) {
      stopPolling();
      if (err.status === 404) {
        localStorage.removeItem(storageKey(order.id));
        current = null;
        paint();
      } else if (!quiet) toast(err.message, "error");
    }
  }

  form.addEventListener("submit", oneAtATime(async () => {
    clearErrors(form);
    const v = values(form);
    const body = { kind: v.kind, value: amountText(v.value), reason: v.reason.trim() };
    const errors = [];
    if (!/^\d{1,7}(\.\d{1,2})?$/.test(body.value)) errors.push({ msg: "Escriba un número, p. ej. 20 o 25.50.", loc: ["body", "value"] });
    if (body.reason.length < 3) errors.push({ msg: "Indique el motivo del descuento (3 caracteres o más).", loc: ["body", "reason"] });
    if (errors.length) {
      showErrors(form, { detail: errors });
      return;
    }
    try {
      current = await post(`/api/orders/${encodeURIComponent(order.id)}/discount-requests`, body);
      localStorage.setItem(storageKey(order.id), current.id);
      form.reset();
      toast("Solicitud enviada: espera la aprobación de un supervisor.", "ok");
      await follow(current.id);
    } catch (err) {
      const ctx = err.detail && err.detail[0] && err.detail[0].ctx;
      if (err.code === "discount_request_pending" && ctx && ctx.request_id) {
        localStorage.setItem(storageKey(order.id), ctx.request_id);
        await follow(ctx.request_id);
        return;
      }
      showErrors(form, err); // what was typed stays
    }
  }));

  $("#dr-refresh").addEventListener("click", () => current && follow(current.id));
  $("#dr-withdraw").addEventListener("click", async () => {
    if (!current) return;
    try {
      current = await post(`/api/discount-requests/${encodeURIComponent(current.id)}/withdraw`, {});
      stopPolling();
      toast("Solicitud retirada: la orden sigue a precio completo.", "ok");
      paint();
    } catch (err) {
      toast(err.message, "error");
    }
  });
  onKey("key:r", () => (current ? follow(current.id) : false));
  onKey("key:d", () => {
    if (form.hidden) return false;
    form.elements.value.focus();
    return true;
  });

  // Called after every render of the order.
  return async function refresh(latest) {
    order = latest;
    const saved = current ? current.id : localStorage.getItem(storageKey(order.id));
    if (saved && (!current || current.status === "pendiente")) await follow(saved);
    else paint();
  };
}
