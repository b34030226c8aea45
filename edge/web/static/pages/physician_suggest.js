// The ordering physician's fields suggest the physicians this sede already recorded
// (GET /api/physicians, the most used first): the CMP by its first digits, the name by any
// part of it, without minding accents. Typing or picking a suggestion in one field fills the
// other one when it is empty or still holds the previous suggestion.
import { get } from "../lib/api.js";

const WAIT_MS = 150;

function datalist(id) {
  const list = document.createElement("datalist");
  list.id = id;
  document.body.append(list);
  return list;
}

export function suggestPhysicians(form, changed) {
  const cmp = form.elements.physician_cmp;
  const name = form.elements.physician_name;
  const byCmp = datalist("physician-cmps");
  const byName = datalist("physician-names");
  cmp.setAttribute("list", byCmp.id);
  name.setAttribute("list", byName.id);
  let known = [];
  let filled = null; // the field this code filled last, and with what
  let timer = 0;
  let asked = 0;

  async function look(q) {
    const seq = ++asked;
    let items = [];
    try {
      items = (await get(`/api/physicians?q=${encodeURIComponent(q)}`, { quiet401: true })).items;
    } catch {
      return; // a look-up that fails only suggests nothing: the fields stay as typed
    }
    if (seq !== asked) return;
    known = items;
    byCmp.replaceChildren(...items.filter((p) => p.cmp).map((p) => new Option(p.name, p.cmp)));
    byName.replaceChildren(...items.map((p) => new Option(p.cmp ? `CMP ${p.cmp}` : "sin CMP", p.name)));
  }

  function fill(other, value) {
    if (other.value.trim() && !(filled && filled.field === other && filled.value === other.value)) return;
    other.value = value;
    filled = { field: other, value };
    changed();
  }

  function typed(field) {
    const q = field.value.trim();
    const digits = q.replace(/\s+/g, "").replace(/^0+/, "");
    const match = field === cmp
      ? known.find((p) => p.cmp && p.cmp === digits)
      : known.find((p) => p.name === q.toUpperCase());
    if (match) fill(field === cmp ? name : cmp, field === cmp ? match.name : match.cmp || "");
    clearTimeout(timer);
    if (q.length >= 2) timer = setTimeout(() => look(q), WAIT_MS);
  }

  cmp.addEventListener("input", () => typed(cmp));
  name.addEventListener("input", () => typed(name));
}
