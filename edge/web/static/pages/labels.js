// The order's samples and their labels (PDF for the label printer): the first print is free; a
// reprint asks its reason (label.reprint, audited by the API).
import { get } from "../lib/api.js";
import { $, clear, h, toast } from "../lib/dom.js";
import { clearErrors, oneAtATime, showErrors } from "../lib/forms.js";
import { onKey } from "../lib/shell.js";

export const labelsUrl = (orderId, reason) =>
  `/api/orders/${encodeURIComponent(orderId)}/labels${reason ? `?reason=${encodeURIComponent(reason)}` : ""}`;

const SAMPLE_STATUS = { pendiente: "Por tomar", tomada: "Tomada" };

export function initLabels({ me }) {
  const perms = new Set((me && me.permissions) || []);
  const card = $("#samples-card");
  const first = $("#o-labels");
  const again = $("#o-relabel");
  const note = $("#o-labels-note");
  const dialog = $("#relabel-dialog");
  const form = $("#relabel-form");
  let order = null;
  let printed = false;

  async function paint() {
    let samples = [];
    try {
      samples = (await get(`/api/orders/${encodeURIComponent(order.id)}/samples`)).items;
    } catch (err) {
      note.textContent = err.message;
    }
    card.hidden = !samples.length;
    const tbody = clear($("#o-samples tbody"));
    for (const s of samples) {
      tbody.append(h("tr", {},
        h("td", { class: "mono", text: s.barcode_text || s.barcode }),
        h("td", { text: s.sample_type }),
        h("td", { text: s.tube }),
        h("td", { text: SAMPLE_STATUS[s.status] || s.status }),
        h("td", { class: "r", text: String(s.label_prints) })));
    }
    printed = samples.some((s) => s.label_prints > 0);
    const open = order.status !== "anulada" && perms.has("sample.manage");
    first.hidden = !open || printed;
    again.hidden = !open || !printed || !perms.has("label.reprint");
    note.textContent = open && printed && !perms.has("label.reprint")
      ? "Etiquetas ya impresas: la reimpresión la hace un supervisor, con motivo." : "";
  }

  // The PDF opens in a new tab; the count of prints follows when the cashier is back.
  const later = () => setTimeout(() => paint(), 1500);
  first.href = "#";
  first.addEventListener("click", later);
  again.addEventListener("click", () => {
    clearErrors(form);
    form.elements.reason.value = "";
    dialog.showModal();
    form.elements.reason.focus();
  });
  $("#relabel-close").addEventListener("click", () => dialog.close());
  form.addEventListener("submit", oneAtATime(async () => {
    clearErrors(form);
    const reason = form.elements.reason.value.trim();
    if (reason.length < 3) {
      showErrors(form, { detail: [{ msg: "Indique el motivo de la reimpresión (3 caracteres o más).", loc: ["query", "reason"] }] });
      return;
    }
    // Opened in the submit's own gesture (no await before it): never a blocked pop-up.
    window.open(labelsUrl(order.id, reason), "_blank", "noopener");
    dialog.close();
    toast("Reimpresión enviada.", "ok");
    later();
  }));
  onKey("key:e", () => {
    if (!first.hidden) first.click();
    else if (!again.hidden) again.click();
    else return false;
    return true;
  });

  return async function refresh(latest) {
    order = latest;
    first.href = labelsUrl(order.id);
    await paint();
  };
}
