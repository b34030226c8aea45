// The payment rows of the new-order form: means, amount, cash tendered or the operation's
// reference; each row's fields are named payments.<i>.<field> so errors land next to them.
import { $, $$, METHOD_LABELS, clear, h } from "../lib/dom.js";
import { toCents } from "../lib/money.js";

// `changed` runs after a row's figures change; `removed` after a row is taken out.
function paymentRow(p, { changed, removed }) {
  const method = h("select", { "data-f": "method", "aria-label": "Medio de pago" },
    ...Object.entries(METHOD_LABELS).map(([v, label]) => h("option", { value: v, text: label })));
  method.value = p.method || "efectivo";
  const amount = h("input", { "data-f": "amount", inputmode: "decimal", maxlength: "12", autocomplete: "off", "aria-label": "Monto", placeholder: "0.00" });
  amount.value = p.amount || "";
  const tendered = h("input", { "data-f": "tendered", inputmode: "decimal", maxlength: "12", autocomplete: "off", "aria-label": "Entregado", placeholder: "Entregado" });
  tendered.value = p.tendered || "";
  const reference = h("input", { "data-f": "reference", maxlength: "60", autocomplete: "off", "aria-label": "Referencia", placeholder: "N.º operación" });
  reference.value = p.reference || "";
  const remove = h("button", { type: "button", class: "ghost small", text: "Quitar", "aria-label": "Quitar pago" });
  const errors = h("div", { class: "pay-errors" });
  const row = h("div", { class: "pay-row", dataset: { auto: p.auto ? "1" : "0" } },
    h("label", {}, "Medio ", method), h("label", {}, "Monto ", amount),
    h("label", { class: "tendered" }, "Entregado ", tendered), h("label", { class: "reference" }, "Referencia ", reference),
    remove, errors);
  const sync = () => {
    const cash = method.value === "efectivo";
    row.querySelector(".tendered").hidden = !cash;
    row.querySelector(".reference").hidden = cash;
  };
  method.addEventListener("change", () => { sync(); changed(); });
  amount.addEventListener("input", () => { row.dataset.auto = "0"; changed(); });
  tendered.addEventListener("input", changed);
  remove.addEventListener("click", () => { row.remove(); renumber(); changed(); removed(); });
  sync();
  return row;
}

function renumber() {
  $$(".pay-row").forEach((row, i) => {
    for (const f of ["method", "amount", "tendered", "reference"]) {
      const el = row.querySelector(`[data-f=${f}]`);
      el.name = `payments.${i}.${f}`;
      el.dataset.loc = `payments.${i}.${f}`;
    }
    const errors = clear(row.querySelector(".pay-errors"));
    for (const key of [`payments.${i}`, `payments.${i}.amount`, `payments.${i}.tendered`, `payments.${i}.reference`, `payments.${i}.method`]) {
      errors.append(h("span", { class: "field-error", "data-error-for": key }));
    }
  });
}

// Appends a row (a draft's, or an empty one when `p` is {}) and returns it.
export function addPayment(p, hooks) {
  const row = paymentRow(p, hooks);
  $("#payments").append(row);
  renumber();
  return row;
}

// The sum of the amounts typed in `rows` (an amount that is no number counts 0).
export function amountsCents(rows) {
  return rows.reduce((sum, r) => sum + (toCents(r.querySelector("[data-f=amount]").value) || 0), 0);
}
