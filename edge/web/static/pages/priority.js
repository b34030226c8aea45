// An order's urgency and the physician who asked for its tests (médico solicitante), as the
// pages show them; the ticket prints the same words (edge.billing.printing).
import { h } from "../lib/dom.js";

export const isUrgent = (order) => order.priority === "urgente";

// amber mark beside the order's status (red "Atrasada" is about the results promise)
export const urgentMark = () => h("span", { class: "badge urgent", title: "Orden urgente: el laboratorio la procesa con prioridad", text: "Urgente" });

// "PÉREZ ROJAS JUAN CARLOS (CMP 45123)"; "" when the order names none
export function physicianText(order) {
  if (!order.physician_name) return "";
  return order.physician_cmp ? `${order.physician_name} (CMP ${order.physician_cmp})` : order.physician_name;
}
