// Forms: values, errors next to the field that caused them, and drafts that survive a
// rejected submit or an expired session (sessionStorage, passwords never stored).
import { $, $$ } from "./dom.js";

const ALIASES = { document_number: "doc_number", document_type: "doc_type" };
const WHERE = new Set(["body", "query", "path", "header"]);

export function locKey(loc) {
  const parts = (loc || []).filter((part, i) => !(i === 0 && WHERE.has(part)));
  return parts.map((part) => ALIASES[part] ?? part).join(".");
}

export function clearErrors(root) {
  for (const el of $$("[data-error-for]", root)) el.textContent = "";
  for (const el of $$("[aria-invalid]", root)) el.removeAttribute("aria-invalid");
  const box = $("[data-form-error]", root);
  if (box) {
    box.textContent = "";
    box.hidden = true;
  }
}

export function setFieldError(root, key, msg) {
  const target = root.querySelector(`[data-error-for="${CSS.escape(key)}"]`);
  const field = root.querySelector(`[name="${CSS.escape(key)}"], [data-loc="${CSS.escape(key)}"]`);
  if (target) target.textContent = msg;
  if (field) {
    if (msg) field.setAttribute("aria-invalid", "true");
    else field.removeAttribute("aria-invalid");
  }
  return field || target;
}

export function formError(root, msg) {
  const box = $("[data-form-error]", root);
  if (!box) return false;
  box.textContent = msg;
  box.hidden = !msg;
  return true;
}

// Put each API error next to its field (by ``loc``); the rest go to the form's error box.
export function showErrors(root, err, aliases = {}) {
  const detail = err.detail && err.detail.length ? err.detail : [{ msg: err.message, loc: [] }];
  const leftovers = [];
  let first = null;
  for (const item of detail) {
    let key = locKey(item.loc);
    key = aliases[key] ?? key;
    let target = null;
    while (key) {
      target = root.querySelector(`[data-error-for="${CSS.escape(key)}"]`);
      if (target) break;
      key = key.includes(".") ? key.slice(0, key.lastIndexOf(".")) : "";
    }
    if (!target) {
      leftovers.push(item.msg);
      continue;
    }
    target.textContent = target.textContent ? `${target.textContent} ${item.msg}` : item.msg;
    const field = root.querySelector(`[name="${CSS.escape(key)}"], [data-loc="${CSS.escape(key)}"]`);
    if (field) field.setAttribute("aria-invalid", "true");
    first = first || field;
  }
  if (leftovers.length && !formError(root, leftovers.join(" "))) {
    const box = document.getElementById("toast");
    if (box) {
      box.textContent = leftovers.join(" ");
      box.dataset.kind = "error";
      box.hidden = false;
    }
  }
  if (first && typeof first.focus === "function") first.focus();
  return detail;
}

export function values(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if ((el.type === "radio" || el.type === "checkbox") && !el.checked) continue;
    out[el.name] = el.value;
  }
  return out;
}

export function keepDraft(form, key) {
  const storageKey = `labred.draft.${key}`;
  try {
    const saved = JSON.parse(sessionStorage.getItem(storageKey) || "null");
    if (saved) {
      for (const el of form.elements) {
        if (!el.name || !(el.name in saved) || el.type === "password") continue;
        if (el.type === "radio" || el.type === "checkbox") el.checked = saved[el.name] === el.value;
        else el.value = saved[el.name];
      }
    }
  } catch {
    sessionStorage.removeItem(storageKey);
  }
  const save = () => {
    const data = {};
    for (const el of form.elements) {
      if (!el.name || el.type === "password") continue;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) continue;
      data[el.name] = el.value;
    }
    sessionStorage.setItem(storageKey, JSON.stringify(data));
  };
  form.addEventListener("input", save);
  form.addEventListener("change", save);
  return () => sessionStorage.removeItem(storageKey);
}

// Arrow keys + Enter over a listbox fed by ``input`` (patient and catalog search).
export function listbox(input, list, { onChoose }) {
  let active = -1;
  const items = () => $$("[role=option]", list);
  const paint = () => {
    items().forEach((el, i) => {
      el.setAttribute("aria-selected", i === active ? "true" : "false");
      if (i === active) {
        input.setAttribute("aria-activedescendant", el.id);
        el.scrollIntoView({ block: "nearest" });
      }
    });
  };
  input.addEventListener("keydown", (event) => {
    const all = items();
    if (event.key === "ArrowDown" && all.length) {
      active = Math.min(active + 1, all.length - 1);
      paint();
      event.preventDefault();
    } else if (event.key === "ArrowUp" && all.length) {
      active = Math.max(active - 1, 0);
      paint();
      event.preventDefault();
    } else if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
      const chosen = all[active >= 0 ? active : 0];
      if (chosen) {
        event.preventDefault();
        onChoose(chosen, event);
      }
    }
  });
  list.addEventListener("click", (event) => {
    const option = event.target.closest("[role=option]");
    if (option) onChoose(option, event);
  });
  return {
    reset() {
      active = items().length ? 0 : -1;
      input.setAttribute("aria-expanded", items().length ? "true" : "false");
      paint();
    },
    current() {
      return items()[active] || null;
    },
  };
}
