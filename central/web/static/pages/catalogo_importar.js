// The catalog as a spreadsheet, on /panel/catalogo: "Exportar Excel" / "Exportar CSV" for every
// reader; "Importar" (catalog.manage) sends the edited file for a preview — counts, the changes
// and the refused rows with their row numbers (the first 200 of each) — and only then, when the
// file has no refused row, applies it with the reason of the price changes and an optional date.
import { api, download, el, fecha, fill, flash, formErrors, soles } from "../lib.js";

const MAX_BYTES = 1024 * 1024;

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

function base64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(new Error("No se pudo leer el archivo."));
    reader.readAsDataURL(file);
  });
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
  const general = document.getElementById("imp-error");
  const busyNode = document.getElementById("imp-busy");
  const result = document.getElementById("imp-result");
  const applyButton = document.getElementById("imp-apply");
  const previewButton = document.getElementById("imp-preview");
  let previewed = null; // the body the preview answered for

  const busy = (text) => {
    busyNode.hidden = !text;
    busyNode.querySelector("span").textContent = text;
    previewButton.disabled = Boolean(text);
    if (text) applyButton.disabled = true;
  };
  const forget = () => { previewed = null; result.hidden = true; applyButton.disabled = true; };

  function show(answer) {
    const n = answer.counts;
    const blocked = answer.errors_total > 0;
    document.getElementById("imp-counts").textContent = `${answer.rows} fila(s) leídas: ${countsText(n)}.`
      + (blocked ? " Corrija las filas rechazadas y vuelva a previsualizar: un archivo con errores no se aplica."
        : answer.changes_total === 0 ? " Sin cambios: el archivo coincide con el catálogo." : "");
    const errors = document.getElementById("imp-errors");
    errors.hidden = !blocked;
    fill(errors.querySelector("tbody"), answer.errors.map((e) => el("tr", { "data-row": e.row, "data-type": e.type },
      el("td", { class: "num" }, e.row), el("td", {}, e.column), el("td", {}, e.msg))), 3);
    const changes = document.getElementById("imp-changes");
    changes.hidden = answer.changes_total === 0;
    fill(changes.querySelector("tbody"), answer.changes.map((c) => el("tr", { "data-row": c.row, "data-code": c.code },
      el("td", { class: "num" }, c.row), el("td", {}, c.code), el("td", {}, c.name), el("td", {}, describe(c)))), 4);
    const more = document.getElementById("imp-more");
    const hidden = [];
    if (answer.changes_total > answer.changes.length) hidden.push(`los primeros ${answer.changes.length} de ${answer.changes_total} cambios`);
    if (answer.errors_total > answer.errors.length) hidden.push(`los primeros ${answer.errors.length} de ${answer.errors_total} errores`);
    more.hidden = hidden.length === 0;
    more.textContent = hidden.length ? `Se muestran ${hidden.join(" y ")}.` : "";
    applyButton.disabled = blocked || answer.changes_total === 0;
    applyButton.textContent = `Aplicar ${answer.changes_total} cambio(s)`;
    result.hidden = false;
  }

  opener.addEventListener("click", () => {
    section.hidden = false;
    section.scrollIntoView({ block: "start" });
    form.elements.file.focus({ preventScroll: true });
  });
  document.getElementById("imp-close").addEventListener("click", () => { section.hidden = true; forget(); });
  form.elements.file.addEventListener("change", forget);
  form.elements.effective_from.addEventListener("change", forget);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formErrors(form, null, general);
    forget();
    const file = form.elements.file.files[0];
    const refuse = (msg) => formErrors(form, { detail: [{ msg, loc: ["body", "content_base64"] }] }, general);
    if (!file) { refuse("Elija un archivo .xlsx o .csv."); return; }
    if (file.size > MAX_BYTES) { refuse("El archivo supera el máximo de 1 MB: divídalo en partes."); return; }
    busy(`Leyendo y revisando ${file.name}…`);
    try {
      const body = { filename: file.name, content_base64: await base64(file) };
      if (form.elements.effective_from.value) body.effective_from = form.elements.effective_from.value;
      const answer = await api.post("/api/catalog/import/preview", body);
      previewed = body;
      show(answer);
    } catch (err) { formErrors(form, err, general); } finally { busy(""); }
  });

  applyButton.addEventListener("click", async () => {
    if (!previewed) return;
    formErrors(form, null, general);
    const count = applyButton.textContent.replace("Aplicar ", "");
    busy(`Aplicando ${count}…`);
    try {
      const done = await api.post("/api/catalog/import/apply", { ...previewed, reason: form.elements.reason.value.trim() });
      flash(done.message);
      forget();
      section.hidden = true;
      form.reset();
      await reload();
    } catch (err) {
      formErrors(form, err, general);
      applyButton.disabled = false;
    } finally { busyNode.hidden = true; previewButton.disabled = false; }
  });
}
