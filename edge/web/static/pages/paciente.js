// A patient's record: data, orders in this sede and the history of changes.
import { PREFIX, get } from "../lib/api.js";
import { $, SEX_LABELS, badge, clear, fmtDate, fmtDateTime, h } from "../lib/dom.js";
import { fmt } from "../lib/money.js";
import { onKey } from "../lib/shell.js";

// Fields of the patient's history (edge/patients/service.py TRACKED_FIELDS), in Spanish.
const FIELD_LABELS = {
  doc_type: "Tipo de documento",
  doc_number: "Número de documento",
  first_names: "Nombres",
  last_names: "Apellidos",
  birth_date: "Fecha de nacimiento",
  sex: "Sexo",
  phone: "Teléfono",
  email: "Correo electrónico",
  address: "Dirección",
};
const DOC_TYPE_LABELS = {
  0: "Sin documento", 1: "DNI", 4: "Carné de extranjería", 6: "RUC", 7: "Pasaporte", A: "Cédula diplomática",
};

function historyValue(field, value) {
  if (value === null || value === undefined || value === "") return "—";
  if (field === "doc_type") return DOC_TYPE_LABELS[value] || value;
  if (field === "sex") return SEX_LABELS[value] || value;
  if (field === "birth_date") return fmtDate(value);
  return value;
}

function fact(dl, label, value) {
  dl.append(h("dt", { text: label }), h("dd", { text: value || "—" }));
}

export async function init() {
  const id = document.body.dataset.patientId;
  const newOrder = `${PREFIX}/ordenes/nueva?paciente=${encodeURIComponent(id)}`;
  $("#p-new-order").href = newOrder;
  onKey("F3", () => location.assign(newOrder));
  const [p, orders, history] = await Promise.all([
    get(`/api/patients/${encodeURIComponent(id)}`),
    get(`/api/patients/${encodeURIComponent(id)}/orders?limit=50`),
    get(`/api/patients/${encodeURIComponent(id)}/history?limit=50`),
  ]);
  document.title = `${p.full_name} · labred`;
  $("#p-name").textContent = p.full_name;
  const dl = clear($("#p-facts"));
  fact(dl, "Documento", `${p.doc_type_label} ${p.doc_number}`);
  fact(dl, "Nacimiento", p.birth_date ? fmtDate(p.birth_date) : "");
  fact(dl, "Sexo", SEX_LABELS[p.sex] || p.sex);
  fact(dl, "Teléfono", p.phone);
  fact(dl, "Correo", p.email);
  fact(dl, "Dirección", p.address);
  $("#patient-card").setAttribute("aria-busy", "false");

  const tbody = clear($("#p-orders tbody"));
  for (const o of orders.items) {
    tbody.append(h("tr", {},
      h("td", {}, h("a", { href: `${PREFIX}/ordenes/${encodeURIComponent(o.id)}`, text: o.number })),
      h("td", { text: fmtDate(o.business_date) }),
      h("td", {}, badge(o.status)),
      h("td", { class: "r", text: fmt(o.total) }),
      h("td", { class: "r", text: fmt(o.balance) }),
    ));
  }
  if (!orders.items.length) tbody.append(h("tr", {}, h("td", { colspan: "5", class: "muted", text: "Sin órdenes en esta sede." })));

  const hist = clear($("#p-history tbody"));
  for (const e of history.items) {
    hist.append(h("tr", {},
      h("td", { text: fmtDateTime(e.created_at) }),
      h("td", { text: e.username || "—" }),
      h("td", { text: FIELD_LABELS[e.field] || e.field }),
      h("td", { text: historyValue(e.field, e.old_value) }),
      h("td", { text: historyValue(e.field, e.new_value) }),
    ));
  }
}
