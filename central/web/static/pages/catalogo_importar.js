// The catalog as a spreadsheet, on /panel/catalogo: "Exportar Excel" / "Exportar CSV" for every
// reader; "Importar" (catalog.manage) sends the edited file for a preview — counts, the changes
// and the refused rows with their row numbers (the first 200 of each) — and only then, when the
// file has no refused row, applies it with the reason of the price changes and an optional date.
import { importPanel } from "../import_panel.js";
import { download, el, fecha, flash, soles } from "../lib.js";

function describe(c) {
  const parts = [];
  if (c.actions.includes("create")) parts.push(`nuevo, a ${soles(c.new_price)}`);
  if (c.actions.includes("update")) parts.push(`cambia: ${c.fields.join(", ")}`);
  if (c.actions.includes("price")) {
    parts.push(`precio ${soles(c.old_price)} → ${soles(c.new_price)}${c.price_from ? ` desde el ${fecha(c.price_from)}` : ""}`);
  }
  if (c.actions.includes("schedule")) parts.push(`programa ${soles(c.scheduled_price)} desde el ${fecha(c.scheduled_from)}`);
  if (c.actions.includes("deactivate")) parts.push("se desactiva");
  return parts.join("; ");
}

function countsText(n) {
  const parts = [
    [n.create, "nuevo(s)"], [n.update, "con datos cambiados"], [n.price, "precio(s) cambiado(s)"],
    [n.schedule, "precio(s) programado(s)"], [n.deactivate, "desactivado(s)"], [n.unchanged, "sin cambios"],
  ].filter(([count]) => count > 0).map(([count, label]) => `${count} ${label}`);
  if (n.errors) parts.push(`${n.errors} fila(s) con errores`);
  return parts.join(" · ") || "El archivo no tiene filas de datos.";
}

export function setupTransfer({ editable, reload }) {
  for (const button of document.querySelectorAll("#svc-search [data-export]")) {
    button.addEventListener("click", async () => {
      const format = button.dataset.export;
      button.disabled = true;
      try {
        const name = await download("GET", `/api/catalog/export?format=${format}`, undefined, `catalogo.${format}`);
        flash(`Catálogo exportado: ${name}.`);
      } catch (err) { flash(err.message); } finally { button.disabled = false; }
    });
  }
  const opener = document.getElementById("imp-open");
  opener.hidden = !editable;
  if (!editable) return;
  const section = document.getElementById("imp");
  const form = document.getElementById("imp-form");
  const panel = importPanel("imp", {
    target: () => ({ preview: "/api/catalog/import/preview", apply: "/api/catalog/import/apply" }),
    extra: () => (form.elements.effective_from.value ? { effective_from: form.elements.effective_from.value } : {}),
    applyExtra: () => ({ reason: form.elements.reason.value.trim() }),
    counts: countsText,
    same: "el catálogo",
    changeCells: (c) => [el("td", {}, c.name), el("td", {}, describe(c))],
    done: async (answer) => { flash(answer.message); await reload(); },
  });
  opener.addEventListener("click", () => {
    section.hidden = false;
    section.scrollIntoView({ block: "start" });
    form.elements.file.focus({ preventScroll: true });
  });
  document.getElementById("imp-close").addEventListener("click", panel.reset);
  form.elements.effective_from.addEventListener("change", panel.forget);
}
