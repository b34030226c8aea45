// The order's samples (tubes) and their labels (PDF for the label printer): the first print is
// free; a reprint asks its reason (label.reprint, audited by the API). A taken tube the
// laboratory cannot use is rejected with its reason: the API registers its replacement (a
// "retoma", new barcode, by taking), whose label then prints alone and free.
import { get, post } from "../lib/api.js";
import { $, clear, h, toast } from "../lib/dom.js";
import { askReason, clearErrors, oneAtATime, showErrors } from "../lib/forms.js";
import { onKey } from "../lib/shell.js";

export const labelsUrl = (orderId, reason) =>
  `/api/orders/${encodeURIComponent(orderId)}/labels${reason ? `?reason=${encodeURIComponent(reason)}` : ""}`;

const SAMPLE_STATUS = { pendiente: "Por tomar", tomada: "Tomada", rechazada: "Rechazada" };
// Orders whose tubes are no longer rejected nor drawn again (the API refuses them as well).
const NO_RECOLLECTION = new Set(["anulada", "entregada"]);
const code = (s) => s.barcode_text || s.barcode;

export function initLabels({ me, onChanged }) {
  const perms = new Set((me && me.permissions) || []);
  const card = $("#samples-card");
  const first = $("#o-labels");
  const again = $("#o-relabel");
  const note = $("#o-labels-note");
  const retoma = $("#o-recollection");
  const dialog = $("#relabel-dialog");
  const form = $("#relabel-form");
  const rejectDialog = $("#reject-dialog");
  const rejectForm = $("#reject-form");
  let order = null;

  function stateCell(s, byId) {
    const cell = h("td", {}, h("span", { class: "sample-state", "data-state": s.status, text: SAMPLE_STATUS[s.status] || s.status }));
    if (s.status === "rechazada") {
      cell.append(h("div", { class: "small", text: [s.reject_reason_label, s.reject_note].filter(Boolean).join(": ") }));
      const next = byId.get(s.replaced_by_id);
      if (next) cell.append(h("div", { class: "muted small", text: `Retoma: ${code(next)}` }));
    }
    if (s.replaces_id) {
      const before = byId.get(s.replaces_id);
      cell.append(h("div", { class: "muted small", text: `Retoma de ${before ? code(before) : "una muestra rechazada"}` }));
    }
    return cell;
  }

  function actionsCell(s) {
    const cell = h("div", { class: "actions-cell" }); // a flex box inside the cell: rows keep their lines
    if (!perms.has("sample.manage")) return h("td", {});
    if (s.status === "pendiente" && order.status !== "anulada") {
      cell.append(h("button", { type: "button", class: "small", "data-take": s.id, text: "Marcar tomada", onclick: (e) => take(s, e.currentTarget) }));
    }
    if (s.status === "tomada" && !NO_RECOLLECTION.has(order.status)) {
      cell.append(h("button", { type: "button", class: "small danger", "data-reject": s.id, text: "Rechazar", onclick: () => ask(s) }));
    }
    return h("td", {}, cell);
  }

  async function paint() {
    let list = { items: [], recollection_pending: false };
    try {
      list = await get(`/api/orders/${encodeURIComponent(order.id)}/samples`);
    } catch (err) {
      note.textContent = err.message;
    }
    const samples = list.items;
    const byId = new Map(samples.map((s) => [s.id, s]));
    card.hidden = !samples.length;
    retoma.hidden = !list.recollection_pending;
    const tbody = clear($("#o-samples tbody"));
    for (const s of samples) {
      tbody.append(h("tr", { class: s.status === "rechazada" ? "sample-rejected" : "", "data-barcode": s.barcode },
        h("td", { class: "mono", text: code(s) }),
        h("td", { text: s.sample_type }),
        h("td", { text: s.tube }),
        stateCell(s, byId),
        actionsCell(s),
        h("td", { class: "r", text: String(s.label_prints) })));
    }
    // A tube never printed (a new order's, or a retoma's): the API prints only those, free.
    const unprinted = samples.some((s) => s.status !== "rechazada" && s.label_prints === 0);
    const printed = samples.some((s) => s.label_prints > 0);
    const open = order.status !== "anulada" && perms.has("sample.manage");
    first.hidden = !open || !unprinted;
    again.hidden = !open || unprinted || !printed || !perms.has("label.reprint");
    if (!open) note.textContent = "";
    else if (unprinted && printed) note.textContent = "Se imprime solo la etiqueta de la retoma.";
    else if (printed && !perms.has("label.reprint")) note.textContent = "Etiquetas ya impresas: la reimpresión la hace un supervisor, con motivo.";
    else note.textContent = "";
  }

  async function take(s, button) {
    button.disabled = true;
    try {
      await post(`/api/samples/${encodeURIComponent(s.id)}/take`, {});
      toast(`Muestra ${code(s)} tomada.`, "ok");
      await onChanged(); // the last tube taken moves the order to "muestra tomada"
    } catch (err) {
      toast(err.message, "error"); // taken or rejected meanwhile: the list as it is now
      await paint();
    }
    const next = $("#o-samples tbody button");
    if (next) next.focus();
  }

  const syncNote = () => {
    const needed = rejectForm.elements.reason.value === "otra";
    $("#reject-note-need").textContent = needed ? "(obligatoria con «Otro motivo»)" : "(opcional)";
    rejectForm.elements.note.required = needed;
  };
  rejectForm.elements.reason.addEventListener("change", syncNote);

  function ask(s) {
    $("#reject-barcode").textContent = code(s);
    $("#reject-what").textContent = `${s.sample_type} · ${s.tube}`;
    rejectForm.elements.note.value = "";
    askReason(rejectDialog, rejectForm, $("#reject-close"), {
      min: 1,
      missing: "Elija el motivo del rechazo.",
      send: async (reason) => {
        const text = rejectForm.elements.note.value.trim();
        try {
          return await post(`/api/samples/${encodeURIComponent(s.id)}/reject`, text ? { reason, note: text } : { reason });
        } catch (err) {
          if (err.status === 409) await paint(); // changed at another counter: shown as it is now
          throw err; // the API's message, in the dialog
        }
      },
      done: async ({ rejected, replacement }) => {
        toast(`Muestra ${code(rejected)} rechazada (${rejected.reject_reason_label}). Retoma ${code(replacement)} por tomar: imprima su etiqueta.`, "ok");
        await paint();
        if (!first.hidden) first.focus();
      },
    });
    syncNote();
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
  // M: the keyboard to the tubes (their first action, else the labels).
  onKey("key:m", () => {
    const target = card.hidden ? null : $("#o-samples tbody button") || (first.hidden ? null : first);
    if (!target) return false;
    target.focus();
    return true;
  });

  return async function refresh(latest) {
    order = latest;
    first.href = labelsUrl(order.id);
    await paint();
  };
}
