// DOM helpers that only ever set text: user data never goes through an HTML parser.
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

let toastTimer = null;
export function toast(message, kind = "info") {
  const el = document.getElementById("toast");
  if (!el) return;
  el.textContent = message;
  el.dataset.kind = kind;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 5000);
}

const DATE_TIME = new Intl.DateTimeFormat("es-PE", {
  timeZone: "America/Lima", day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit",
});
const TIME = new Intl.DateTimeFormat("es-PE", { timeZone: "America/Lima", hour: "2-digit", minute: "2-digit" });

export const fmtDateTime = (iso) => (iso ? DATE_TIME.format(new Date(iso)) : "—");
export const fmtTime = (iso) => (iso ? TIME.format(new Date(iso)) : "—");
export function fmtDate(isoDate) {
  if (!isoDate) return "—";
  const [y, m, d] = String(isoDate).split("-");
  return `${d}/${m}/${y}`;
}

export function todayLima() {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "America/Lima" }).format(new Date());
  return parts; // YYYY-MM-DD
}

export const STATUS_LABELS = {
  registrada: "Registrada",
  muestra_tomada: "Muestra tomada",
  enviada_laboratorio: "Enviada al laboratorio",
  resultados_listos: "Resultados listos",
  entregada: "Entregada",
  anulada: "Anulada",
};
export const NEXT_STATUS = {
  registrada: "muestra_tomada",
  muestra_tomada: "enviada_laboratorio",
  enviada_laboratorio: "resultados_listos",
  resultados_listos: "entregada",
};
export const METHOD_LABELS = {
  efectivo: "Efectivo", tarjeta: "Tarjeta", yape: "Yape", plin: "Plin", transferencia: "Transferencia",
};

export const SEX_LABELS = { F: "Femenino", M: "Masculino", X: "No especifica" };

// States of a SUNAT document (edge/billing/models.py), as the counter reads them.
export const SUNAT_LABELS = {
  pendiente: "pendiente de envío",
  enviado: "enviado, esperando respuesta",
  aceptado: "aceptado",
  observado: "aceptado con observaciones",
  rechazado: "rechazado",
  error_red: "sin conexión con SUNAT (se reenvía solo)",
  por_reenviar: "por reenviar",
  anulado: "dado de baja",
};
export const sunatLabel = (state) => SUNAT_LABELS[state] || state;

export function badge(status) {
  return h("span", { class: `badge st-${status}`, text: STATUS_LABELS[status] || status });
}
