// Notification templates: list, edit (notification.manage) and preview with sample data.
import { api, el, fill, flash, formErrors, when } from "../lib.js";

const EVENTS = {
  order_created: "Orden registrada", invoice_accepted: "Comprobante aceptado", results_ready: "Resultados listos",
  discrepancy_found: "Discrepancia en conciliación", manual: "Manual",
};
const CHANNELS = { email: "Correo", whatsapp: "WhatsApp", alert: "Alerta" };

export default async function () {
  const tbody = document.querySelector("#templates tbody");
  const editor = document.getElementById("tpl-editor");
  const form = document.getElementById("tpl-form");
  const general = document.getElementById("tpl-error");
  const box = document.getElementById("tpl-preview-box");
  let data = { items: [], can_edit: false };
  let editing = null;

  function open(t) {
    editing = t;
    editor.hidden = false;
    box.hidden = true;
    formErrors(form, null, general);
    document.getElementById("tpl-title").textContent = `${EVENTS[t.event] || t.event} · ${CHANNELS[t.channel] || t.channel}`;
    const f = form.elements;
    f.name.value = t.name;
    f.subject.value = t.subject;
    f.body.value = t.body;
    f.active.checked = t.active;
    for (const input of form.querySelectorAll("input, textarea")) input.readOnly = !data.can_edit;
    f.active.disabled = !data.can_edit;
    document.getElementById("tpl-save").hidden = !data.can_edit;
    f.body.focus();
  }

  async function preview() {
    formErrors(form, null, general);
    try {
      const shown = await api.post("/api/web/notification-templates/preview",
        { subject: form.elements.subject.value, body: form.elements.body.value });
      document.getElementById("pv-subject").textContent = shown.subject || "—";
      document.getElementById("pv-body").textContent = shown.body;
      box.hidden = false;
    } catch (err) { formErrors(form, err, general); }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formErrors(form, null, general);
    if (!editing) return;
    const f = form.elements;
    try {
      const saved = await api.put(`/api/notifications/templates/${encodeURIComponent(editing.id)}`,
        { name: f.name.value.trim(), subject: f.subject.value, body: f.body.value, active: f.active.checked });
      flash(`Plantilla «${saved.name}» guardada.`);
      editing = saved;
      await load();
    } catch (err) { formErrors(form, err, general); }
  });
  document.getElementById("tpl-preview").addEventListener("click", preview);
  document.getElementById("tpl-cancel").addEventListener("click", () => { editor.hidden = true; });

  async function load() {
    data = await api.get("/api/web/notification-templates");
    fill(tbody, data.items.map((t) => el("tr", { "data-template": `${t.event}:${t.channel}`, class: t.active ? "" : "muted" },
      el("td", {}, EVENTS[t.event] || t.event), el("td", {}, CHANNELS[t.channel] || t.channel), el("td", {}, t.name),
      el("td", {}, t.active ? "Sí" : "No"), el("td", {}, `${when(t.updated_at)} · ${t.updated_by || "sistema"}`),
      el("td", {}, el("button", { type: "button", class: "small", onclick: () => open(t) }, data.can_edit ? "Editar" : "Ver")))),
    6, "No hay plantillas.");
  }
  await load();
}
