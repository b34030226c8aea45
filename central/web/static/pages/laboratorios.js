// Admins: laboratory systems (create / edit), each one's test-code map (with the check that
// every active test has a code) and the laboratory of each sede. Tokens are write-only.
import { api, el, fill, flash, formErrors } from "../lib.js";

const PROTOCOLS = { mllp: "HL7 por MLLP", rest: "REST", file: "Carpeta" };
const MESSAGES = { OML_O21: "OML^O21 (2.5.1)", ORM_O01: "ORM^O01 (2.3.1)" };
const CODE_FIELDS = ["code", "loinc", "name", "sample_type"];
const CODE_LABELS = {
  service_code: "Examen (código)", code: "Código del laboratorio", loinc: "LOINC",
  name: "Nombre en el laboratorio", sample_type: "Muestra",
};

function target(lab) {
  if (lab.protocol === "rest") return lab.url || "—";
  if (lab.protocol === "file") return `${lab.folder || "—"} (${lab.file_format.toUpperCase()})`;
  return lab.host ? `${lab.host}:${lab.port}` : "—";
}

export default async function () {
  const tbody = document.querySelector("#labs tbody");
  const editor = document.getElementById("lab-editor");
  const form = document.getElementById("lab-form");
  const general = document.getElementById("lab-error");
  const codesEditor = document.getElementById("codes-editor");
  const codesForm = document.getElementById("codes-form");
  const codesBody = document.querySelector("#codes tbody");
  const codesGeneral = document.getElementById("codes-error");
  let labs = [];
  let editing = null;
  let mapping = null; // the lab whose code map is open
  let catalogNames = {}; // service code -> name (from the map and the check)
  let unmapped = [];

  // ---------------------------------------------------------------- systems
  function showProtocol() {
    const protocol = form.elements.protocol.value;
    for (const node of form.querySelectorAll("[data-proto]")) node.hidden = node.dataset.proto !== protocol;
  }

  function open(lab) {
    editing = lab;
    codesEditor.hidden = true;
    editor.hidden = false;
    formErrors(form, null, general);
    form.reset();
    document.getElementById("lab-editor-title").textContent = lab ? `Editar ${lab.code} · ${lab.name}` : "Nuevo sistema de laboratorio";
    for (const node of form.querySelectorAll("[data-only]")) node.hidden = node.dataset.only !== (lab ? "edit" : "create");
    const f = form.elements;
    if (lab) {
      for (const key of ["name", "protocol", "message_type", "url", "host", "folder", "file_format"]) f[key].value = lab[key];
      f.port.value = lab.port ? String(lab.port) : "";
      f.timeout_seconds.value = String(lab.timeout_seconds);
      f.active.checked = lab.active;
    } else {
      f.timeout_seconds.value = "10";
      f.active.checked = true;
    }
    for (const hint of form.querySelectorAll("[data-token-hint]")) {
      hint.textContent = lab && lab[hint.dataset.tokenHint] ? "Hay un token guardado; déjelo vacío para conservarlo." : "";
    }
    showProtocol();
    (lab ? f.name : f.code).focus();
  }

  function body() {
    const f = form.elements;
    const out = {
      name: f.name.value.trim(),
      protocol: f.protocol.value,
      message_type: f.message_type.value,
      url: f.url.value.trim(),
      host: f.host.value.trim(),
      folder: f.folder.value.trim(),
      file_format: f.file_format.value,
      active: f.active.checked,
    };
    const port = f.port.value.trim();
    out.port = port === "" ? 0 : /^\d+$/.test(port) ? Number(port) : port; // the API explains a bad one
    const timeout = f.timeout_seconds.value.trim().replace(",", ".");
    if (timeout) out.timeout_seconds = /^\d+(\.\d+)?$/.test(timeout) ? Number(timeout) : timeout;
    for (const key of ["token", "results_token"]) if (f[key].value) out[key] = f[key].value; // empty: unchanged
    if (!editing) out.code = f.code.value.trim();
    return out;
  }

  form.elements.protocol.addEventListener("change", showProtocol);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formErrors(form, null, general);
    try {
      const saved = editing
        ? await api.put(`/api/lab/systems/${encodeURIComponent(editing.id)}`, body())
        : await api.post("/api/lab/systems", body());
      editor.hidden = true;
      flash(`Sistema de laboratorio ${saved.code} guardado.`);
      await load();
    } catch (err) { formErrors(form, err, general); } // what was typed stays
  });
  document.getElementById("lab-cancel").addEventListener("click", () => { editor.hidden = true; });
  document.getElementById("lab-new").addEventListener("click", () => open(null));

  // ---------------------------------------------------------------- code map
  function codeRow(item) {
    const cell = (name, value, attrs = {}) => el("td", {},
      el("input", { name, value: value || "", "aria-label": CODE_LABELS[name], autocomplete: "off", ...attrs }),
      el("span", { class: "error", "data-row-error": name }));
    const tr = el("tr", { "data-service": item.service_code || "" },
      cell("service_code", item.service_code, { maxlength: 20, size: 10 }),
      el("td", { class: "muted", "data-name": "" }, catalogNames[item.service_code] || item.service_name || ""),
      cell("code", item.code, { maxlength: 40, size: 10 }),
      cell("loinc", item.loinc, { maxlength: 20, size: 9, placeholder: "1558-6" }),
      cell("name", item.name, { maxlength: 200 }),
      cell("sample_type", item.sample_type, { maxlength: 40, size: 6, placeholder: "SER" }),
      el("td", {}, el("button", { type: "button", class: "small danger", onclick: () => { tr.remove(); } }, "Quitar")));
    return tr;
  }

  function clearCodeErrors() {
    for (const node of codesForm.querySelectorAll("[data-row-error]")) node.textContent = "";
    formErrors(codesForm, null, codesGeneral);
  }

  // An error of item i goes beside that row's field; the rest to the form.
  function codeErrors(err) {
    const rows = Array.from(codesBody.querySelectorAll("tr"));
    const rest = [];
    for (const item of err.detail && err.detail.length ? err.detail : [{ msg: err.message, loc: [] }]) {
      const loc = item.loc || [];
      const at = loc.indexOf("items");
      const row = at >= 0 && Number.isInteger(loc[at + 1]) ? rows[loc[at + 1]] : null;
      const field = at >= 0 ? loc[at + 2] : null;
      const slot = row && row.querySelector(`[data-row-error="${CSS.escape(String(field || "service_code"))}"]`);
      if (slot) slot.textContent = [slot.textContent, item.msg].filter(Boolean).join(" ");
      else rest.push(item.msg);
    }
    if (rest.length) { codesGeneral.textContent = rest.join(" "); codesGeneral.hidden = false; }
    const first = codesForm.querySelector("[data-row-error]:not(:empty)");
    if (first) first.closest("td").querySelector("input").focus();
  }

  async function openCodes(lab) {
    mapping = lab;
    editor.hidden = true;
    codesEditor.hidden = false;
    clearCodeErrors();
    document.getElementById("codes-check-result").hidden = true;
    document.getElementById("codes-title").textContent = `Mapa de códigos de ${lab.code} · ${lab.name}`;
    const map = await api.get(`/api/lab/systems/${encodeURIComponent(lab.id)}/codes`);
    for (const item of map.items) catalogNames[item.service_code] = item.service_name;
    codesBody.replaceChildren(...map.items.map(codeRow));
    if (!map.items.length) codesBody.append(codeRow({}));
    codesBody.querySelector("input").focus();
  }

  async function check() {
    const res = await api.get(`/api/lab/systems/${encodeURIComponent(mapping.id)}/check`);
    unmapped = res.unmapped;
    for (const t of unmapped) catalogNames[t.code] = t.name;
    const box = document.getElementById("codes-check-result");
    box.hidden = false;
    box.className = `check-result ${res.complete ? "ok" : "warn"}`;
    document.getElementById("codes-check-summary").textContent = res.complete
      ? `Completo: los ${res.active_tests} exámenes activos tienen código.`
      : `${res.mapped} de ${res.active_tests} exámenes activos tienen código; faltan ${unmapped.length}:`;
    document.getElementById("codes-unmapped").replaceChildren(...unmapped.map((t) => el("li", { "data-unmapped": t.code }, `${t.code} · ${t.name}`)));
    document.getElementById("codes-add-unmapped").hidden = res.complete;
  }

  codesForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearCodeErrors();
    const items = Array.from(codesBody.querySelectorAll("tr")).map((tr) => {
      const item = { service_code: tr.querySelector("[name=service_code]").value.trim().toUpperCase() };
      for (const key of CODE_FIELDS) item[key] = tr.querySelector(`[name=${key}]`).value.trim();
      return item;
    }).filter((item) => item.service_code || CODE_FIELDS.some((key) => item[key]));
    try {
      const saved = await api.put(`/api/lab/systems/${encodeURIComponent(mapping.id)}/codes`, { items });
      for (const item of saved.items) catalogNames[item.service_code] = item.service_name;
      codesBody.replaceChildren(...saved.items.map(codeRow));
      flash(`Mapa de ${mapping.code} guardado: ${saved.total} examen(es) con código.`);
      if (!document.getElementById("codes-check-result").hidden) await check();
    } catch (err) { codeErrors(err); }
  });
  document.getElementById("codes-check").addEventListener("click", () => check().catch((err) => codeErrors(err)));
  document.getElementById("codes-add").addEventListener("click", () => {
    const tr = codeRow({});
    codesBody.append(tr);
    tr.querySelector("input").focus();
  });
  document.getElementById("codes-add-unmapped").addEventListener("click", () => {
    const present = new Set(Array.from(codesBody.querySelectorAll("[name=service_code]")).map((i) => i.value.trim().toUpperCase()));
    for (const row of Array.from(codesBody.querySelectorAll("tr"))) {
      if (!Array.from(row.querySelectorAll("input")).some((i) => i.value.trim())) row.remove();
    }
    const added = unmapped.filter((t) => !present.has(t.code)).map((t) => codeRow({ service_code: t.code, service_name: t.name }));
    codesBody.append(...added);
    if (added.length) added[0].querySelector("[name=code]").focus();
  });
  document.getElementById("codes-close").addEventListener("click", () => { codesEditor.hidden = true; });

  // ---------------------------------------------------------------- sedes
  function sedeRow(s) {
    const select = el("select", { name: "lab_system_id", "aria-label": `Laboratorio de ${s.sede_code}` },
      el("option", { value: "" }, "Ninguno"),
      ...labs.map((lab) => el("option", { value: lab.id, selected: lab.id === s.lab_system_id }, `${lab.code} · ${lab.name}${lab.active ? "" : " (inactivo)"}`)));
    const host = el("input", { name: "listener_host", value: s.listener_host || "0.0.0.0", maxlength: 255, size: 12, "aria-label": `Receptor de ${s.sede_code} (host)` });
    const port = el("input", { name: "listener_port", value: s.listener_port ?? "", inputmode: "numeric", maxlength: 5, size: 6, "aria-label": `Puerto MLLP de ${s.sede_code}` });
    const error = el("span", { class: "error", "data-sede-error": "" });
    const row = el("tr", { "data-sede": s.sede_code });
    const save = async () => {
      error.textContent = "";
      const p = port.value.trim();
      const payload = { lab_system_id: select.value || null, listener_host: host.value.trim() || "0.0.0.0",
        listener_port: p === "" ? null : /^\d+$/.test(p) ? Number(p) : p };
      try {
        const saved = await api.put(`/api/lab/sedes/${encodeURIComponent(s.sede_id)}`, payload);
        const lab = labs.find((l) => l.id === saved.lab_system_id);
        flash(`Sede ${saved.sede_code}: ${lab ? `envía a ${lab.code}` : "sin laboratorio"}.`);
        await load();
      } catch (err) { error.textContent = err.message; }
    };
    for (const input of [host, port]) input.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); save(); } });
    row.append(el("td", {}, `${s.sede_code} · ${s.sede_name}`), el("td", {}, select), el("td", {}, host), el("td", {}, port),
      el("td", {}, el("button", { type: "button", class: "small", onclick: save }, "Asignar")), el("td", {}, error));
    return row;
  }

  async function load() {
    labs = (await api.get("/api/lab/systems")).items;
    const sedeCodes = {};
    const sedes = (await api.get("/api/lab/sedes")).items;
    for (const s of sedes) sedeCodes[s.sede_id] = s.sede_code;
    fill(tbody, labs.map((lab) => el("tr", { "data-lab": lab.code, class: lab.active ? "" : "muted" },
      el("td", {}, lab.code), el("td", {}, lab.name), el("td", {}, PROTOCOLS[lab.protocol] || lab.protocol),
      el("td", {}, target(lab)), el("td", {}, MESSAGES[lab.message_type] || lab.message_type),
      el("td", {}, [lab.token_set ? "envío" : "", lab.results_token_set ? "resultados" : ""].filter(Boolean).join(", ") || "—"),
      el("td", {}, lab.sede_ids.map((id) => sedeCodes[id] || id).join(", ") || "—"),
      el("td", {}, lab.active ? "Activo" : "Inactivo"),
      el("td", {},
        el("button", { type: "button", class: "small", onclick: () => open(lab) }, "Editar"),
        el("button", { type: "button", class: "small", onclick: () => openCodes(lab).catch((err) => flash(err.message)) }, "Códigos")))),
    9, "No hay sistemas de laboratorio registrados.");
    fill(document.querySelector("#lab-sedes tbody"), sedes.map(sedeRow), 6, "No hay sedes.");
  }

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      if (!editor.hidden) editor.hidden = true;
      else if (!codesEditor.hidden) codesEditor.hidden = true;
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      const formOf = event.target.closest && event.target.closest("form");
      const which = formOf || (!editor.hidden ? form : !codesEditor.hidden ? codesForm : null);
      if (which) { event.preventDefault(); which.requestSubmit(); }
    } else if (event.altKey && event.key.toLowerCase() === "n") {
      event.preventDefault();
      open(null);
    }
  });
  await load();
}
