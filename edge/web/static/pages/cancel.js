// The "cancel with reason" dialog shared by the orders list and the order page. It names the
// patient and the total (Supr on the wrong row must not go unnoticed); an order another counter
// moved meanwhile (409 invalid_transition) closes the dialog and the page shows it as it is now.
import { post } from "../lib/api.js";
import { $, toast } from "../lib/dom.js";
import { askReason } from "../lib/forms.js";
import { fmt } from "../lib/money.js";

const STALE = Symbol("stale");

// The message for an order that changed at another counter while this page showed it.
export const changedElsewhere = (err) => `${err.message} La orden cambió en otro puesto: se muestra como está ahora.`;

export function askCancel(order, onDone, { patientName = order.patient_name } = {}) {
  $("#cancel-number").textContent = order.number;
  $("#cancel-what").textContent = [patientName, order.total ? `Total ${fmt(order.total)}` : ""].filter(Boolean).join(" · ");
  let stale = null;
  askReason($("#cancel-dialog"), $("#cancel-form"), $("#cancel-close"), {
    min: 3,
    missing: "Indique el motivo de la anulación (3 caracteres o más).",
    send: async (reason) => {
      try {
        return await post(`/api/orders/${encodeURIComponent(order.id)}/cancel`, { reason });
      } catch (err) {
        if (err.code !== "invalid_transition") throw err;
        stale = err;
        return STALE;
      }
    },
    done: async (result) => {
      if (result === STALE) toast(changedElsewhere(stale), "warn");
      else toast(`Orden ${order.number} anulada.`, "ok");
      await onDone(result === STALE ? null : result);
    },
  });
}
