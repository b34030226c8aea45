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

// One submit at a time: a second Ctrl+Enter, Enter or click while the first request is on its
// way is ignored (it would register the sale, the payment or the count twice). A handler that
// returns ``true`` keeps the form locked (its work is done: the page moves on).
export function oneAtATime(handler) {
  let busy = false;
  return async function guarded(event) {
    if (event && typeof event.preventDefault === "function") event.preventDefault();
    if (busy) return;
    busy = true;
    let keep = false;
    try {
      keep = (await handler.call(this, event)) === true;
    } finally {
      busy = keep;
    }
  };
}

// A dialog asking for a reason (cancel an order, reopen a drawer or a day): on submit, one at a
// time, ``send(reason)`` makes the request; then the dialog closes and ``done(result)`` runs.
// A reason shorter than ``min`` or a refused request shows in the form, the reason still typed.
export function askReason(dialog, form, cancel, { min, missing, send, done }) {
  clearErrors(form);
  form.elements.reason.value = "";
  cancel.onclick = () => dialog.close();
  form.onsubmit = oneAtATime(async () => {
    clearErrors(form);
    const reason = form.elements.reason.value.trim();
    if (reason.length < min) {
      showErrors(form, { detail: [{ msg: missing, loc: ["body", "reason"] }] });
      return;
    }
    let result;
    try {
      result = await send(reason);
    } catch (err) {
      showErrors(form, err);
      return;
    }
    dialog.close();
    await done(result);
  });
  dialog.showModal();
  form.elements.reason.focus();
}

// Search as you type. ``render(q, current)`` fetches and paints the results of ``q`` (painting
// only while ``current()`` is true: a newer query may be on its way). ``settle()`` is null when
// the list already shows the results of what is typed, else the promise of those results (the
// waiting search runs at once): Enter never picks a result of an older text, nor does nothing.
export function liveSearch(input, render, ms) {
  let timer = null;
  let seq = 0;
  let shown = null;
  let running = null;
  const run = () => {
    clearTimeout(timer);
    timer = null;
    const q = input.value.trim();
    if (running && running.q === q) return running.promise;
    const mine = ++seq;
    const promise = Promise.resolve()
      .then(() => render(q, () => mine === seq))
      .catch(() => {})
      .then(() => {
        if (mine === seq) shown = q;
        if (running && running.mine === mine) running = null;
      });
    running = { q, mine, promise };
    return promise;
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(run, ms);
  });
  return {
    run,
    settle: () => (timer === null && !running && shown === input.value.trim() ? null : run()),
  };
}

// Arrow keys + Enter over a listbox fed by ``input`` (patient and catalog search). With
// ``settle`` (see liveSearch), Enter typed before the results arrive waits for them.
export function listbox(input, list, { onChoose, settle = null }) {
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
      const waiting = settle && settle();
      if (waiting) {
        event.preventDefault(); // never the form's submit: the results are on their way
        waiting.then(() => {
          const chosen = items()[active >= 0 ? active : 0];
          if (chosen) onChoose(chosen, event);
        });
        return;
      }
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
