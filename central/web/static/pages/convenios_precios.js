// A convenio's price list as a spreadsheet, in the convenio's detail on /panel/convenios:
// "Exportar precios" (Excel or CSV) for every reader; "Importar precios" (catalog.manage) sends
// the filled file for a preview — counts, the changes (old → new), the refused rows and, apart,
// the warnings (a convenio price above the public one), each with its row number, the first 200
// of each — and only then, when no row is refused, applies it (all or nothing).
import { api, can, download, el, fill, flash, formErrors, soles } from "../lib.js";

const MAX_BYTES = 1024 * 1024;
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

function base64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(new Error("No se pudo leer el archivo."));
    reader.readAsDataURL(file);
  });
}

function issues(table, items) {
  table.hidden = items.length === 0;
  fill(table.querySelector("tbody"), items.map((e) => el("tr", { "data-row": e.row, "data-type": e.type },
    el("td", { class: "num" }, e.row), el("td", {}, e.column), el("td", {}, e.msg))), 3);
}

// current(): the convenio shown ({ id, name }) or null. Returns reset(), to call when another
// convenio is opened.
export function setupPrices({ current }) {
  const section = document.getElementById("prices");
  const form = document.getElementById("prices-form");
  const general = document.getElementById("prices-error");
  const busyNode = document.getElementById("prices-busy");
  const result = document.getElementById("prices-result");
  const applyButton = document.getElementById("prices-apply");
  const previewButton = document.getElementById("prices-preview");
  const opener = document.getElementById("prices-open");
  let previewed = null; // { id, body } the preview answered for

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
  const busy = (text) => {
    busyNode.hidden = !text;
    busyNode.querySelector("span").textContent = text;
    previewButton.disabled = Boolean(text);
    if (text) applyButton.disabled = true;
  };
  const forget = () => { previewed = null; result.hidden = true; applyButton.disabled = true; };
  const reset = () => { forget(); section.hidden = true; form.reset(); formErrors(form, null, general); };
  if (!editable) return reset;

  function show(answer) {
    const blocked = answer.errors_total > 0;
    document.getElementById("prices-counts").textContent = `${answer.rows} fila(s) leídas: ${countsText(answer.counts)}.`
      + (blocked ? " Corrija las filas rechazadas y vuelva a previsualizar: un archivo con errores no se aplica."
        : answer.changes_total === 0 ? " Sin cambios: el archivo coincide con el tarifario del convenio." : "");
    issues(document.getElementById("prices-errors"), answer.errors);
    issues(document.getElementById("prices-warnings"), answer.warnings);
    const changes = document.getElementById("prices-changes");
    changes.hidden = answer.changes_total === 0;
    fill(changes.querySelector("tbody"), answer.changes.map((c) => el("tr", { "data-row": c.row, "data-code": c.code, "data-action": c.action },
      el("td", { class: "num" }, c.row), el("td", {}, c.code), el("td", {}, c.name), el("td", {}, ACTION[c.action]),
      el("td", { class: "num" }, describe(c)))), 5);
    const more = document.getElementById("prices-more");
    const hidden = [];
    if (answer.changes_total > answer.changes.length) hidden.push(`los primeros ${answer.changes.length} de ${answer.changes_total} cambios`);
    if (answer.errors_total > answer.errors.length) hidden.push(`los primeros ${answer.errors.length} de ${answer.errors_total} errores`);
    if (answer.warnings_total > answer.warnings.length) hidden.push(`las primeras ${answer.warnings.length} de ${answer.warnings_total} advertencias`);
    more.hidden = hidden.length === 0;
    more.textContent = hidden.length ? `Se muestran ${hidden.join(", ")}.` : "";
    applyButton.disabled = blocked || answer.changes_total === 0;
    applyButton.textContent = `Aplicar ${answer.changes_total} cambio(s)`;
    result.hidden = false;
  }

  opener.addEventListener("click", () => {
    const conv = current();
    if (!conv) return;
    document.getElementById("prices-title").textContent = `Importar el tarifario de ${conv.name}`;
    section.hidden = false;
    section.scrollIntoView({ block: "start" });
    form.elements.file.focus({ preventScroll: true });
  });
  document.getElementById("prices-close").addEventListener("click", reset);
  form.elements.file.addEventListener("change", forget);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formErrors(form, null, general);
    forget();
    const conv = current();
    const file = form.elements.file.files[0];
    const refuse = (msg) => formErrors(form, { detail: [{ msg, loc: ["body", "content_base64"] }] }, general);
    if (!conv) return;
    if (!file) { refuse("Elija un archivo .xlsx o .csv."); return; }
    if (file.size > MAX_BYTES) { refuse("El archivo supera el máximo de 1 MB: divídalo en partes."); return; }
    busy(`Leyendo y revisando ${file.name}…`);
    try {
      const body = { filename: file.name, content_base64: await base64(file) };
      const answer = await api.post(`/api/convenios/${encodeURIComponent(conv.id)}/prices/import/preview`, body);
      previewed = { id: conv.id, body };
      show(answer);
    } catch (err) { formErrors(form, err, general); } finally { busy(""); }
  });

  applyButton.addEventListener("click", async () => {
    if (!previewed) return;
    formErrors(form, null, general);
    const count = applyButton.textContent.replace("Aplicar ", "");
    busy(`Aplicando ${count}…`);
    try {
      const done = await api.post(`/api/convenios/${encodeURIComponent(previewed.id)}/prices/import/apply`,
        { ...previewed.body, note: form.elements.note.value.trim() });
      flash(done.message);
      reset();
    } catch (err) {
      formErrors(form, err, general);
      applyButton.disabled = false;
    } finally { busyNode.hidden = true; previewButton.disabled = false; }
  });
  return reset;
}
