// Catalog and prices: every test and panel, by pages, filtered by text, category, kind and state.
// Users with catalog.manage change a price in place (with its reason), create and edit tests and
// panels (name, category, sample, tube, price, members, active), deactivate them and add
// categories, rename them and deactivate them (a category with active tests is refused by the
// hub: the message, with their count, shows beside its state); the others (supervisors:
// catalog.read) only read. The name opens the price history. Export and import of the whole
// catalog as a spreadsheet: ./catalogo_importar.js. A price scheduled for a later date shows in
// the editor with "Cancelar precio programado" (confirmed in place); the lists of scheduled
// prices by date, each cancelled whole: ./catalogo_programados.js.
import { api, can, el, fecha, fill, flash, formErrors, pager, soles, when } from "../lib.js";
import { setupTransfer } from "./catalogo_importar.js";
import { confirmInline, setupScheduled } from "./catalogo_programados.js";

const PAGE = 50;
const PRICE_STATUS = { applied: "Aplicado", scheduled: "Programado", cancelled: "Cancelado" };
const amount = (text) => text.trim().replace(",", ".");

export default async function () {
  const tbody = document.querySelector("#services tbody");
  const search = document.getElementById("svc-search");
  const pages = document.getElementById("svc-pager");
  const editor = document.getElementById("svc-editor");
  const form = document.getElementById("svc-form");
  const general = document.getElementById("svc-error");
  const history = document.getElementById("svc-history");
  const members = document.getElementById("svc-members");
  const membersBox = document.getElementById("svc-members-box");
  const catForm = document.getElementById("cat-form");
  const catError = document.getElementById("cat-error");
  const scheduledBox = document.getElementById("svc-scheduled");
  const editable = can("catalog.manage");
  for (const node of document.querySelectorAll("#services [data-edit], #categories [data-edit], #scheduled [data-edit]")) node.hidden = !editable;
  document.getElementById("svc-new").hidden = !editable;
  catForm.hidden = !editable;
  let categories = [];
  let exams = []; // active tests a panel may include
  let editing = null; // the service being edited; null: creating
  let offset = 0;

  const categoryName = (id) => (categories.find((c) => c.id === id) || { name: "—" }).name;

  // one category: read-only, or (catalog.manage) its name editable in place and a button that
  // deactivates or reactivates it; errors show beside the field they concern
  function categoryRow(c) {
    const attrs = { "data-category": c.code, "data-id": c.id, class: c.active ? "" : "muted" };
    const state = c.active ? "Activa" : "Inactiva";
    if (!editable) return el("tr", attrs, el("td", {}, c.code), el("td", {}, c.name), el("td", {}, state));
    const name = el("input", { name: "name", value: c.name, maxlength: 200, size: 36, "aria-label": `Nombre de la categoría ${c.code}` });
    const general = el("span", { class: "error", role: "alert", hidden: true });
    const tr = el("tr", attrs, el("td", {}, c.code),
      el("td", {}, name, el("span", { class: "error", "data-error-for": "name" })),
      el("td", {}, el("span", { "data-state": "" }, state), el("span", { class: "error", "data-error-for": "active" })));
    const send = async (body, done) => {
      formErrors(tr, null, general);
      try {
        const saved = await api.put(`/api/catalog/categories/${encodeURIComponent(c.id)}`, body);
        flash(done(saved));
        await loadCategories();
        await load(offset);
      } catch (err) { formErrors(tr, err, general); }
    };
    const rename = () => send({ name: name.value.trim() }, (saved) => `Categoría ${saved.code} renombrada a «${saved.name}».`);
    name.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); rename(); } });
    const toggle = () => send({ active: !c.active }, (saved) => saved.active
      ? `Categoría ${saved.code} · ${saved.name} reactivada.`
      : `Categoría ${saved.code} · ${saved.name} desactivada: las sedes ya no la muestran.`);
    tr.append(el("td", {},
      el("button", { type: "button", class: "small", "data-rename": "", onclick: rename }, "Guardar nombre"), " ",
      el("button", { type: "button", class: `small ghost${c.active ? " danger" : ""}`, "data-toggle": "", onclick: toggle },
        c.active ? "Desactivar" : "Reactivar"), general));
    return tr;
  }

  async function loadCategories() {
    const list = await api.get("/api/catalog/categories");
    categories = list.items;
    fill(document.querySelector("#categories tbody"), categories.map(categoryRow), editable ? 4 : 3, "Aún no hay categorías.");
    for (const select of [search.elements.category_id, form.elements.category_id]) {
      const keep = select.value;
      select.replaceChildren(select.options[0], ...categories.map((c) => el("option", { value: c.id }, `${c.code} · ${c.name}`)));
      select.value = keep;
    }
  }

  async function loadExams() {
    exams = [];
    for (let at = 0; at < 5000; at += 500) {
      const list = await api.get(`/api/catalog/services?is_panel=false&active=true&limit=500&offset=${at}`);
      exams.push(...list.items);
      if (exams.length >= list.total || !list.items.length) break;
    }
  }

  function showMembers(isPanel, chosen) {
    membersBox.hidden = !isPanel;
    if (!isPanel) return;
    const ids = new Set(chosen);
    members.replaceChildren(...exams.filter((s) => !editing || s.id !== editing.id).map((s) => el("label", { class: "check", "data-member": s.code },
      el("input", { type: "checkbox", name: "panel_service_ids", value: s.id, checked: ids.has(s.id) }), `${s.code} · ${s.name}`)));
  }

  async function showHistory(s) {
    history.hidden = false;
    document.getElementById("svc-history-title").textContent = `Historial de precios de ${s.code} · ${s.name}`;
    const answer = await api.get(`/api/catalog/services/${encodeURIComponent(s.id)}/price-history`);
    fill(document.querySelector("#price-history tbody"), answer.items.map((p) => el("tr", { "data-status": p.status, "data-from": p.effective_from },
      el("td", {}, fecha(p.effective_from)), el("td", { class: "num" }, soles(p.price)),
      el("td", { class: "num" }, soles(p.previous_price)), el("td", {}, PRICE_STATUS[p.status] || p.status, p.cancelled_by_username ? ` (${p.cancelled_by_username})` : ""),
      el("td", {}, p.reason || "—"), el("td", {}, p.changed_by_username || "—"), el("td", {}, when(p.created_at)))), 7, "Sin cambios de precio.");
  }

  // The test's next scheduled price, with a button that cancels it after confirming in place.
  function showScheduled(s) {
    const slot = scheduledBox.querySelector("[data-scheduled-actions]");
    const msg = scheduledBox.querySelector("[data-scheduled-error]");
    msg.textContent = "";
    scheduledBox.hidden = !(s && s.scheduled_price);
    if (scheduledBox.hidden) return;
    const what = `${soles(s.scheduled_price)} desde ${fecha(s.scheduled_from)}`;
    scheduledBox.querySelector("[data-scheduled-text]").textContent = `Precio programado: ${what}`;
    const cancel = async () => {
      msg.textContent = "";
      try {
        const saved = await api.post(`/api/catalog/services/${encodeURIComponent(s.id)}/scheduled-price/cancel`,
          { effective_from: s.scheduled_from });
        flash(`Precio programado de ${saved.code} · ${saved.name} (${what}) cancelado: sigue vigente ${soles(saved.price)}.`);
        await refreshEditing();
        await load(offset);
        await scheduled.reload();
        return true;
      } catch (err) {
        msg.textContent = err.message;
        return false;
      }
    };
    const ask = () => confirmInline(slot, `¿Cancelar el precio de ${what}? El precio vigente (${soles(s.price)}) no cambia.`,
      "Sí, cancelar", cancel);
    slot.replaceChildren(el("button", { type: "button", class: "small ghost danger", "data-cancel-scheduled": "", onclick: ask },
      "Cancelar precio programado"));
  }

  // after a cancellation: the open test as the hub now has it (its scheduled price, its history)
  async function refreshEditing() {
    if (!editing) return;
    const fresh = await api.get(`/api/catalog/services/${encodeURIComponent(editing.id)}`);
    if (!editing || editing.id !== fresh.id) return;
    editing = fresh;
    if (!editor.hidden) showScheduled(fresh);
    if (!history.hidden) await showHistory(fresh);
  }

  // The editor shows, filled and focused, in one synchronous step after the data it needs has
  // arrived: focusing after an await would pull the cursor (and what is being typed) into the
  // code or name field while the user is already in another one.
  async function open(s) {
    editing = s;
    if (!editable) { editor.hidden = true; await showHistory(s); history.scrollIntoView({ block: "start" }); return; }
    if (exams.length === 0) await loadExams();
    if (editing !== s) return; // another test was opened meanwhile
    editor.hidden = false;
    formErrors(form, null, general);
    form.reset();
    document.getElementById("svc-editor-title").textContent = s ? `Editar ${s.code} · ${s.name}` : "Nuevo examen o perfil";
    for (const node of editor.querySelectorAll("[data-only]")) node.hidden = node.dataset.only !== (s ? "edit" : "create");
    const f = form.elements;
    showScheduled(s);
    if (s) {
      for (const key of ["name", "sample_type", "tube", "igv_affectation", "loinc"]) f[key].value = s[key] ?? "";
      f.category_id.value = s.category_id || "";
      f.turnaround_hours.value = String(s.turnaround_hours);
      f.active.checked = s.active;
      showMembers(s.is_panel, s.panel_service_ids);
    } else {
      f.turnaround_hours.value = "24";
      f.active.checked = true;
      showMembers(false, []);
      history.hidden = true;
    }
    editor.scrollIntoView({ block: "start" });
    (s ? f.name : f.code).focus({ preventScroll: true });
    if (s) await showHistory(s);
  }

  function body() {
    const f = form.elements;
    const out = {
      name: f.name.value.trim(), sample_type: f.sample_type.value.trim(), tube: f.tube.value.trim(),
      igv_affectation: f.igv_affectation.value, loinc: f.loinc.value.trim(), active: f.active.checked,
    };
    if (f.turnaround_hours.value.trim()) out.turnaround_hours = f.turnaround_hours.value.trim();
    // editing: "Sin categoría" clears it (null); creating: none is sent
    if (f.category_id.value || editing) out.category_id = f.category_id.value || null;
    const isPanel = editing ? editing.is_panel : f.is_panel.checked;
    if (isPanel) out.panel_service_ids = [...members.querySelectorAll("input:checked")].map((i) => i.value);
    if (editing) {
      if (f.price.value.trim()) {
        out.price = amount(f.price.value);
        out.price_reason = f.price_reason.value.trim();
        if (f.price_effective_from.value) out.price_effective_from = f.price_effective_from.value;
      }
    } else {
      Object.assign(out, { code: f.code.value.trim(), price: amount(f.price.value), is_panel: isPanel });
    }
    return out;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formErrors(form, null, general);
    try {
      const saved = editing
        ? await api.put(`/api/catalog/services/${encodeURIComponent(editing.id)}`, body())
        : await api.post("/api/catalog/services", body());
      flash(`${saved.code} · ${saved.name} guardado (precio vigente ${soles(saved.price)}${saved.scheduled_price ? `; ${soles(saved.scheduled_price)} desde ${fecha(saved.scheduled_from)}` : ""}).`);
      exams = [];
      await load(editing ? offset : 0);
      await scheduled.reload();
      await open(saved);
    } catch (err) { formErrors(form, err, general); }
  });
  form.elements.is_panel.addEventListener("change", () => showMembers(form.elements.is_panel.checked, []));
  document.getElementById("svc-members-filter").addEventListener("input", (event) => {
    const needle = event.target.value.trim().toLowerCase();
    for (const label of members.children) label.hidden = Boolean(needle) && !label.textContent.toLowerCase().includes(needle);
  });
  document.getElementById("svc-cancel").addEventListener("click", () => { editor.hidden = true; history.hidden = true; });
  document.getElementById("svc-deactivate").addEventListener("click", async () => {
    if (!editing) return;
    formErrors(form, null, general);
    try {
      const saved = await api.del(`/api/catalog/services/${encodeURIComponent(editing.id)}`);
      flash(`${saved.code} · ${saved.name} desactivado: las sedes ya no lo ofrecen.`);
      exams = [];
      await load(offset);
      await open(saved);
    } catch (err) { formErrors(form, err, general); }
  });
  document.getElementById("svc-new").addEventListener("click", () => open(null).catch((err) => flash(err.message)));

  catForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    formErrors(catForm, null, catError);
    try {
      const saved = await api.post("/api/catalog/categories",
        { code: catForm.elements.code.value.trim(), name: catForm.elements.name.value.trim() });
      catForm.reset();
      flash(`Categoría ${saved.code} · ${saved.name} agregada.`);
      await loadCategories();
    } catch (err) { formErrors(catForm, err, catError); }
  });

  function row(s) {
    const current = el("td", { class: "num", "data-price": "" }, soles(s.price),
      s.scheduled_price ? el("div", { class: "muted" }, `${soles(s.scheduled_price)} desde ${fecha(s.scheduled_from)}`) : null);
    const name = el("a", { href: `#servicio-${s.code}`, "data-open": "", title: "Ver historial de precios",
      onclick: (e) => { e.preventDefault(); open(s).catch((err) => flash(err.message)); } }, s.name);
    const cells = [el("td", {}, s.code), el("td", {}, name, s.is_panel ? el("span", { class: "muted" }, " · perfil") : null),
      el("td", {}, categoryName(s.category_id)), el("td", {}, s.active ? "Activo" : "Inactivo"), current];
    const attrs = { "data-code": s.code, "data-id": s.id, class: s.active ? "" : "muted" };
    if (!editable) return el("tr", attrs, ...cells);
    const price = el("input", { name: "price", inputmode: "decimal", size: 8, "aria-label": `Nuevo precio de ${s.name}` });
    const reason = el("input", { name: "reason", maxlength: 200, "aria-label": "Motivo" });
    const msg = el("span", { class: "error", role: "alert" });
    const save = async () => {
      msg.textContent = "";
      try {
        const updated = await api.put(`/api/catalog/services/${encodeURIComponent(s.id)}`,
          { price: amount(price.value), price_reason: reason.value.trim() });
        current.firstChild.textContent = soles(updated.price);
        price.value = "";
        reason.value = "";
        flash(`Precio de ${updated.name} actualizado a ${soles(updated.price)}.`);
        if (editing && editing.id === s.id && !history.hidden) await showHistory(updated);
      } catch (err) { msg.textContent = err.message; }
    };
    price.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); save(); } });
    return el("tr", attrs, ...cells, el("td", {}, price), el("td", {}, reason),
      el("td", {}, el("button", { type: "button", class: "small", onclick: save }, "Guardar"), msg));
  }

  async function load(at = 0) {
    const params = new URLSearchParams({ limit: String(PAGE), offset: String(at) });
    const q = String(search.elements.q.value || "").trim();
    if (q) params.set("q", q);
    for (const key of ["category_id", "is_panel", "active"]) if (search.elements[key].value) params.set(key, search.elements[key].value);
    const list = await api.get(`/api/catalog/services?${params}`);
    offset = at;
    const filtered = [...params.keys()].length > 2;
    fill(tbody, list.items.map(row), editable ? 8 : 5, filtered ? "Ningún examen coincide." : "El catálogo no tiene exámenes.");
    pager(pages, { offset, limit: PAGE, shown: list.items.length, total: list.total },
      (next) => load(next).catch((err) => flash(err.message)));
  }
  search.addEventListener("submit", (e) => { e.preventDefault(); load().catch((err) => flash(err.message)); });
  const scheduled = setupScheduled({ editable, changed: async () => { await load(offset); await refreshEditing(); } });
  setupTransfer({ editable, reload: async () => { exams = []; await load(offset); await scheduled.reload(); } });
  await loadCategories();
  await load();
  await scheduled.reload();
}
