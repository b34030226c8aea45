// F2: find a patient by document or name as you type.
import { ApiError, PREFIX, get } from "../lib/api.js";
import { $, clear, h, toast } from "../lib/dom.js";
import { listbox, liveSearch } from "../lib/forms.js";
import { checkDocument } from "../lib/documents.js";
import { onKey } from "../lib/shell.js";

export function patientOption(p, i) {
  return h(
    "li",
    { role: "option", id: `opt-${i}`, "aria-selected": "false", dataset: { id: p.id } },
    h("span", { class: "opt-main", text: p.full_name }),
    h("span", { class: "opt-side", text: `${p.doc_type_label} ${p.doc_number}` }),
  );
}

// Wire a search box + listbox to /api/patients/search; returns the listbox controller.
export function patientSearch(input, list, stateEl, onChoose) {
  let box = null;
  const search = liveSearch(input, async (q, current) => {
    if (!q) {
      clear(list);
      box.reset();
      if (stateEl) stateEl.textContent = "";
      return;
    }
    try {
      const page = await get(`/api/patients/search?q=${encodeURIComponent(q)}&limit=10`);
      if (!current()) return; // a newer query is on its way
      clear(list);
      page.items.forEach((p, i) => list.append(patientOption(p, i)));
      box.reset();
      if (stateEl) {
        stateEl.textContent = page.items.length
          ? `${page.items.length}${page.has_more ? "+" : ""} paciente(s)`
          : "Ningún paciente coincide.";
      }
    } catch (err) {
      if (!current()) return;
      const msg = err instanceof ApiError ? err.message : String(err);
      if (stateEl) stateEl.textContent = msg;
      else toast(msg, "error");
    }
  }, 180);
  box = listbox(input, list, { onChoose, settle: search.settle });
  if (input.value.trim()) search.run(); // typed before this module loaded: not lost
  return box;
}

export function init() {
  const input = $("#q");
  const list = $("#results");
  const state = $("#search-state");
  const box = patientSearch(input, list, state, (option) => {
    location.assign(`${PREFIX}/pacientes/${option.dataset.id}`);
  });
  const registerUrl = () => {
    const q = input.value.trim();
    const doc = checkDocument("1", q);
    return `${PREFIX}/pacientes/nuevo${doc.ok ? `?doc=${encodeURIComponent(doc.value)}` : ""}`;
  };
  $("#new-patient").addEventListener("click", (event) => {
    event.preventDefault();
    location.assign(registerUrl());
  });
  onKey("F2", () => {
    input.focus();
    input.select();
  });
  onKey("F7", () => location.assign(registerUrl()));
  onKey("F3", () => {
    const chosen = box.current();
    location.assign(`${PREFIX}/ordenes/nueva${chosen ? `?paciente=${chosen.dataset.id}` : ""}`);
  });
  onKey("Escape", () => {
    if (input.value) {
      input.value = "";
      input.dispatchEvent(new Event("input"));
      return true;
    }
    return true; // home page: nothing to go back to
  });
  input.focus();
}
