// The "cancel with reason" dialog shared by the orders list and the order page.
import { post } from "../lib/api.js";
import { $ } from "../lib/dom.js";
import { askReason } from "../lib/forms.js";

export function askCancel(order, onDone) {
  $("#cancel-number").textContent = order.number;
  askReason($("#cancel-dialog"), $("#cancel-form"), $("#cancel-close"), {
    min: 3,
    missing: "Indique el motivo de la anulación (3 caracteres o más).",
    send: (reason) => post(`/api/orders/${encodeURIComponent(order.id)}/cancel`, { reason }),
    done: onDone,
  });
}
