// The "cancel with reason" dialog shared by the orders list and the order page.
import { post } from "../lib/api.js";
import { $ } from "../lib/dom.js";
import { clearErrors, oneAtATime, showErrors } from "../lib/forms.js";

export function askCancel(order, onDone) {
  const dialog = $("#cancel-dialog");
  const form = $("#cancel-form");
  clearErrors(form);
  $("#cancel-number").textContent = order.number;
  form.elements.reason.value = "";
  const close = () => dialog.close();
  $("#cancel-close").onclick = close;
  form.onsubmit = oneAtATime(async () => {
    clearErrors(form);
    const reason = form.elements.reason.value.trim();
    if (reason.length < 3) {
      showErrors(form, { detail: [{ msg: "Indique el motivo de la anulación (3 caracteres o más).", loc: ["body", "reason"] }] });
      return;
    }
    try {
      const updated = await post(`/api/orders/${encodeURIComponent(order.id)}/cancel`, { reason });
      dialog.close();
      onDone(updated);
    } catch (err) {
      showErrors(form, err); // the reason stays typed
    }
  });
  dialog.showModal();
  form.elements.reason.focus();
}
