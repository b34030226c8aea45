// Scheduled prices on the catalog page: the "Precios programados" section lists each date with
// pending prices, how many tests and their reasons; users with catalog.manage cancel a whole list
// (an import "desde" a wrong date) after confirming in place with its count. The others
// (supervisors) only read it. confirmInline is also the test editor's confirmation.
import { api, el, fecha, fill, flash } from "../lib.js";

export const preciosProgramados = (n) => `${n} precio${n === 1 ? "" : "s"} programado${n === 1 ? "" : "s"}`;

// Ask in place: `slot` shows the question and two buttons. "No" puts back what it held; the
// other runs `action`, which reports its own errors and returns true when done (the caller
// then redraws), false to put the slot back.
export function confirmInline(slot, question, yesLabel, action) {
  const before = [...slot.childNodes];
  const restore = () => slot.replaceChildren(...before);
  const yes = el("button", { type: "button", class: "small ghost danger", "data-yes": "" }, yesLabel);
  const no = el("button", { type: "button", class: "small ghost", "data-no": "", onclick: restore }, "No");
  yes.addEventListener("click", async () => {
    yes.disabled = true;
    no.disabled = true;
    if (!(await action())) restore();
  });
  slot.replaceChildren(el("span", { "data-question": "" }, question), " ", yes, " ", no);
  yes.focus();
}

// `changed` runs after a list is cancelled (the page reloads its tests and the open editor).
export function setupScheduled({ editable, changed }) {
  const tbody = document.querySelector("#scheduled tbody");

  function row(item) {
    const n = item.services;
    const day = fecha(item.effective_from);
    const cells = [el("td", {}, day), el("td", { class: "num" }, String(n)), el("td", {}, item.reasons.join(" · ") || "—")];
    const attrs = { "data-scheduled": item.effective_from };
    if (!editable) return el("tr", attrs, ...cells);
    const slot = el("span");
    const msg = el("span", { class: "error", role: "alert" });
    const cancel = async () => {
      msg.textContent = "";
      try {
        const done = await api.post("/api/catalog/scheduled-prices/cancel", { effective_from: item.effective_from });
        flash(done.message);
        await reload();
        await changed();
        return true;
      } catch (err) {
        msg.textContent = err.message;
        return false;
      }
    };
    const ask = () => confirmInline(slot,
      `¿Cancelar la lista del ${day}? Se cancelará${n === 1 ? "" : "n"} ${preciosProgramados(n)}; los precios vigentes no cambian.`,
      `Sí, cancelar ${preciosProgramados(n)}`, cancel);
    slot.append(el("button", { type: "button", class: "small ghost danger", "data-cancel-list": "", onclick: ask }, "Cancelar lista"));
    return el("tr", attrs, ...cells, el("td", {}, slot, msg));
  }

  async function reload() {
    const list = await api.get("/api/catalog/scheduled-prices");
    fill(tbody, list.items.map(row), editable ? 4 : 3, "No hay precios programados.");
  }
  return { reload };
}
