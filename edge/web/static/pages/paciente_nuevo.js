// Register a patient: instant checks mirrored from the domain, API errors next to each field.
import { PREFIX, post } from "../lib/api.js";
import { $, toast } from "../lib/dom.js";
import { checkDocument, checkEmail, checkName, checkPhone } from "../lib/documents.js";
import { clearErrors, keepDraft, oneAtATime, setFieldError, showErrors, values } from "../lib/forms.js";

const CHECKS = {
  doc_number: (form) => {
    const r = checkDocument(form.elements.doc_type.value, form.elements.doc_number.value);
    return r.ok ? "" : r.msg;
  },
  last_names: (form) => checkName(form.elements.last_names.value),
  first_names: (form) => checkName(form.elements.first_names.value),
  email: (form) => checkEmail(form.elements.email.value),
  phone: (form) => checkPhone(form.elements.phone.value),
};

function check(form, name, { quietEmpty = false } = {}) {
  const el = form.elements[name];
  if (quietEmpty && !el.value.trim()) return setFieldError(form, name, "") && "";
  const msg = CHECKS[name](form);
  setFieldError(form, name, msg);
  return msg;
}

export function init() {
  const form = $("#patient-form");
  const dropDraft = keepDraft(form, "patient-new");
  const doc = new URLSearchParams(location.search).get("doc");
  if (doc && !form.elements.doc_number.value) form.elements.doc_number.value = doc;
  // The DNI came from the search (F7): the next thing to type is the surname.
  if (form.elements.doc_number.value && !form.elements.last_names.value) form.elements.last_names.focus();

  form.elements.doc_number.addEventListener("input", () => {
    const el = form.elements.doc_number;
    const type = form.elements.doc_type.value;
    // Instant feedback once the number is long enough to judge.
    const full = (type === "1" && el.value.trim().length >= 8) || (type === "6" && el.value.trim().length >= 11);
    if (full) check(form, "doc_number");
    else setFieldError(form, "doc_number", "");
  });
  form.elements.doc_type.addEventListener("change", () => {
    form.elements.doc_number.inputMode = ["1", "6"].includes(form.elements.doc_type.value) ? "numeric" : "text";
    if (form.elements.doc_number.value) check(form, "doc_number");
  });
  for (const name of Object.keys(CHECKS)) {
    form.elements[name].addEventListener("blur", () => check(form, name, { quietEmpty: true }));
  }

  form.addEventListener("submit", oneAtATime(async () => {
    clearErrors(form);
    const bad = Object.keys(CHECKS).filter((name) => {
      const optional = name === "email" || name === "phone";
      return check(form, name, { quietEmpty: optional });
    });
    if (bad.length) {
      form.elements[bad[0]].focus();
      return;
    }
    const body = {};
    for (const [key, value] of Object.entries(values(form))) {
      if (value.trim() !== "") body[key] = value.trim();
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const patient = await post("/api/patients", body);
      dropDraft();
      toast(`Paciente ${patient.full_name} registrado.`, "ok");
      location.assign(`${PREFIX}/ordenes/nueva?paciente=${encodeURIComponent(patient.id)}`);
      return true; // registered: the page moves on
    } catch (err) {
      showErrors(form, err);
      const existing = err.detail && err.detail[0] && err.detail[0].ctx && err.detail[0].ctx.patient_id;
      if (err.code === "patient_duplicate" && existing) {
        const slot = form.querySelector('[data-error-for="doc_number"]');
        const link = document.createElement("a");
        link.href = `${PREFIX}/pacientes/${encodeURIComponent(existing)}`;
        link.textContent = " Ver paciente";
        slot.append(link);
      }
    } finally {
      button.disabled = false;
    }
  }));
}
