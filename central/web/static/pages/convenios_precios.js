// A convenio's price list as a spreadsheet, in the convenio's detail on /panel/convenios:
// "Exportar precios" (Excel or CSV) for every reader; "Importar precios" (catalog.manage) sends
// the filled file for a preview — counts, the changes (old → new), the refused rows and, apart,
// the warnings (a convenio price above the public one), each with its row number, the first 200
// of each — and only then, when no row is refused, applies it (all or nothing).
import { importPanel } from "../import_panel.js";
import { can, download, el, flash, soles } from "../lib.js";

const ACTION = { added: "Precio nuevo", changed: "Cambia", removed: "Se quita (rige el precio público)" };

function describe(c) {
  if (c.action === "added") return `${soles(c.new_price)} (público ${soles(c.public_price)})`;
  if (c.action === "changed") return `${soles(c.old_price)} → ${soles(c.new_price)}`;
  return `${soles(c.old_price)} → ${soles(c.public_price)}`;
}

function countsText(n) {
  const parts = [
    [n.added, "precio(s) nuevo(s)"], [n.changed, "cambiado(s)"], [n.removed, "quitado(s)"],
    [n.unchanged, "sin cambios"],
  ].filter(([count]) => count > 0).map(([count, label]) => `${count} ${label}`);
  if (n.errors) parts.push(`${n.errors} fila(s) con errores`);
  if (n.warnings) parts.push(`${n.warnings} advertencia(s)`);
  return parts.join(" · ") || "El archivo no tiene filas de datos.";
}

// current(): the convenio shown ({ id, name }) or null. Returns reset(), to call when another
// convenio is opened.
export function setupPrices({ current }) {
  const section = document.getElementById("prices");
  const form = document.getElementById("prices-form");
  const opener = document.getElementById("prices-open");

  for (const button of document.querySelectorAll("[data-prices-export]")) {
    button.addEventListener("click", async () => {
      const conv = current();
      if (!conv) return;
      const format = button.dataset.pricesExport;
      button.disabled = true;
      try {
        const name = await download("GET", `/api/convenios/${encodeURIComponent(conv.id)}/prices/export?format=${format}`,
          undefined, `tarifario.${format}`);
        flash(`Tarifario de ${conv.name} exportado: ${name}.`);
      } catch (err) { flash(err.message); } finally { button.disabled = false; }
    });
  }

  const editable = can("catalog.manage");
  opener.hidden = !editable;
  const panel = importPanel("prices", {
    target: () => {
      const conv = current();
      const base = conv && `/api/convenios/${encodeURIComponent(conv.id)}/prices/import`;
      return conv ? { preview: `${base}/preview`, apply: `${base}/apply` } : null;
    },
    applyExtra: () => ({ note: form.elements.note.value.trim() }),
    counts: countsText,
    same: "el tarifario del convenio",
    changeCells: (c) => [el("td", {}, c.name), el("td", {}, ACTION[c.action]), el("td", { class: "num" }, describe(c))],
    done: (answer) => flash(answer.message),
  });
  if (!editable) return panel.reset;

  opener.addEventListener("click", () => {
    const conv = current();
    if (!conv) return;
    document.getElementById("prices-title").textContent = `Importar el tarifario de ${conv.name}`;
    section.hidden = false;
    section.scrollIntoView({ block: "start" });
    form.elements.file.focus({ preventScroll: true });
  });
  document.getElementById("prices-close").addEventListener("click", panel.reset);
  return panel.reset;
}
