// The "import a spreadsheet" panel the catalog and the convenio price lists share: a file is
// read (at most 1 MB), sent as base64 for a preview that writes nothing, the preview's counts,
// refused rows, warnings and changes (the first 200 of each, with their row numbers) are shown,
// and "Aplicar" (disabled while a row is refused or nothing changes) sends the same file to be
// applied, all or nothing. The elements are found by one id prefix: #P (the section), #P-form
// (with its file input), #P-error, #P-busy (a progress line), #P-result, #P-counts, #P-errors,
// #P-warnings (optional), #P-changes, #P-more, #P-preview and #P-apply.
import { api, el, fill, formErrors } from "./lib.js";

const MAX_BYTES = 1024 * 1024;

function base64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(new Error("No se pudo leer el archivo."));
    reader.readAsDataURL(file);
  });
}

function issues(table, items) {
  if (!table) return;
  table.hidden = items.length === 0;
  fill(table.querySelector("tbody"), items.map((e) => el("tr", { "data-row": e.row, "data-type": e.type },
    el("td", { class: "num" }, e.row), el("td", {}, e.column), el("td", {}, e.msg))), 3);
}

// prefix: the ids' prefix. target(): { preview, apply } URLs for the file now, or null (nothing
// to import into). extra(): fields the preview also sends (a date). applyExtra(): fields only
// the apply sends (a reason, a note). counts(answer.counts): the counts' sentence. same: what an
// unchanged file matches ("el catálogo"). changeCells(change): the cells of a change row after
// its row number and code. done(answer): after a successful apply.
// Returns reset(): closes the panel and forgets the preview.
export function importPanel(prefix, { target, extra = () => ({}), applyExtra = () => ({}), counts, same, changeCells, done }) {
  const $ = (suffix) => document.getElementById(suffix ? `${prefix}-${suffix}` : prefix);
  const section = $(""), form = $("form"), general = $("error"), busyNode = $("busy"), result = $("result");
  const applyButton = $("apply"), previewButton = $("preview");
  let previewed = null; // { urls, body } the preview answered for

  const busy = (text) => {
    busyNode.hidden = !text;
    busyNode.querySelector("span").textContent = text;
    previewButton.disabled = Boolean(text);
    if (text) applyButton.disabled = true;
  };
  const forget = () => { previewed = null; result.hidden = true; applyButton.disabled = true; };
  const reset = () => { forget(); section.hidden = true; form.reset(); formErrors(form, null, general); };

  function show(answer) {
    const blocked = answer.errors_total > 0;
    $("counts").textContent = `${answer.rows} fila(s) leídas: ${counts(answer.counts)}.`
      + (blocked ? " Corrija las filas rechazadas y vuelva a previsualizar: un archivo con errores no se aplica."
        : answer.changes_total === 0 ? ` Sin cambios: el archivo coincide con ${same}.` : "");
    issues($("errors"), answer.errors);
    issues($("warnings"), answer.warnings || []);
    const changes = $("changes");
    changes.hidden = answer.changes_total === 0;
    const rows = answer.changes.map((c) => el("tr", { "data-row": c.row, "data-code": c.code, "data-action": c.action || null },
      el("td", { class: "num" }, c.row), el("td", {}, c.code), ...changeCells(c)));
    fill(changes.querySelector("tbody"), rows, changes.querySelectorAll("thead th").length);
    const hidden = [];
    if (answer.changes_total > answer.changes.length) hidden.push(`los primeros ${answer.changes.length} de ${answer.changes_total} cambios`);
    if (answer.errors_total > answer.errors.length) hidden.push(`los primeros ${answer.errors.length} de ${answer.errors_total} errores`);
    if (answer.warnings_total > (answer.warnings || []).length) hidden.push(`las primeras ${answer.warnings.length} de ${answer.warnings_total} advertencias`);
    $("more").hidden = hidden.length === 0;
    $("more").textContent = hidden.length ? `Se muestran ${hidden.join(", ")}.` : "";
    applyButton.disabled = blocked || answer.changes_total === 0;
    applyButton.textContent = `Aplicar ${answer.changes_total} cambio(s)`;
    result.hidden = false;
  }

  form.elements.file.addEventListener("change", forget);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formErrors(form, null, general);
    forget();
    const urls = target();
    const file = form.elements.file.files[0];
    const refuse = (msg) => formErrors(form, { detail: [{ msg, loc: ["body", "content_base64"] }] }, general);
    if (!urls) return;
    if (!file) { refuse("Elija un archivo .xlsx o .csv."); return; }
    if (file.size > MAX_BYTES) { refuse("El archivo supera el máximo de 1 MB: divídalo en partes."); return; }
    busy(`Leyendo y revisando ${file.name}…`);
    try {
      const body = { filename: file.name, content_base64: await base64(file), ...extra() };
      const answer = await api.post(urls.preview, body);
      previewed = { urls, body };
      show(answer);
    } catch (err) { formErrors(form, err, general); } finally { busy(""); }
  });

  applyButton.addEventListener("click", async () => {
    if (!previewed) return;
    formErrors(form, null, general);
    const count = applyButton.textContent.replace("Aplicar ", "");
    busy(`Aplicando ${count}…`);
    try {
      const answer = await api.post(previewed.urls.apply, { ...previewed.body, ...applyExtra() });
      reset();
      await done(answer);
    } catch (err) {
      formErrors(form, err, general);
      applyButton.disabled = false;
    } finally { busyNode.hidden = true; previewButton.disabled = false; }
  });
  return { reset, forget };
}
