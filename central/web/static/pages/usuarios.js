// Users and roles: list (supervisors see the users of their sedes), create, edit (role, sedes,
// data, active), deactivate and reset a password (admins: user.manage).
import { SEARCH_FROM, api, byCode, el, fill, flash, fold, formErrors, pager, sedePicker, when } from "../lib.js";

const PAGE = 50; // rows a page: 300 users of 100 sedes are not one 17,000-pixel page

export default async function () {
  const tbody = document.querySelector("#users tbody");
  const filter = document.getElementById("user-filter");
  const editor = document.getElementById("user-editor");
  const form = document.getElementById("user-form");
  const reset = document.getElementById("reset-form");
  const general = document.getElementById("user-error");
  let data = { items: [], sedes: [], roles: [], can_edit: false };
  let editing = null; // null: creating

  // A supervisor sees the codes of their own sedes; the others assigned are only counted.
  function codes(ids) {
    const byId = Object.fromEntries(data.sedes.map((s) => [s.id, s.code]));
    const known = ids.filter((id) => byId[id]).map((id) => byId[id]);
    const others = ids.length - known.length;
    const more = others === 1 ? "1 sede más" : `${others} sedes más`;
    if (!known.length) return others ? (others === 1 ? "1 sede" : `${others} sedes`) : "—";
    if (known.length > 6) return `${known.slice(0, 5).join(", ")} y ${ids.length - 5} sedes más`; // an admin of 100
    return others ? `${known.join(", ")} y ${more}` : known.join(", ");
  }
  const fullCodes = (ids) => {
    const byId = Object.fromEntries(data.sedes.map((s) => [s.id, s.code]));
    return ids.map((id) => byId[id]).filter(Boolean).sort((a, b) => a.localeCompare(b, "es", { numeric: true })).join(", ");
  };
  // With many sedes a box above the checkboxes keeps only those whose code or name has the text.
  const sedeSearch = el("input", { type: "search", class: "sede-search", placeholder: "Código o nombre",
    "aria-label": "Buscar entre las sedes", autocomplete: "off", maxlength: "60", hidden: true });
  document.getElementById("user-sedes").before(sedeSearch);
  sedeSearch.addEventListener("input", () => {
    const q = fold(sedeSearch.value.trim());
    for (const label of document.querySelectorAll("#user-sedes label")) label.hidden = Boolean(q) && !fold(label.textContent).includes(q);
  });
  let sedesShown = false; // the sede filter is filled on the first answer
  const roleLabel = (role) => (data.roles.find((r) => r.role === role) || { label: role }).label;

  function open(user) {
    editing = user;
    editor.hidden = false;
    formErrors(form, null, general);
    formErrors(reset, null);
    document.getElementById("user-editor-title").textContent = user ? `Editar ${user.username}` : "Nuevo usuario";
    for (const node of editor.querySelectorAll("[data-only]")) node.hidden = node.dataset.only !== (user ? "edit" : "create");
    form.reset();
    reset.reset();
    const f = form.elements;
    f.role.replaceChildren(...data.roles.map((r) => el("option", { value: r.role }, r.label)));
    const boxes = document.getElementById("user-sedes");
    // 100 sedes: sorted by code, in a box that scrolls instead of a page of checkboxes
    boxes.classList.toggle("scroll", data.sedes.length >= SEARCH_FROM);
    sedeSearch.hidden = data.sedes.length < SEARCH_FROM;
    sedeSearch.value = "";
    boxes.replaceChildren(...[...data.sedes].sort(byCode).map((s) => el("label", { class: "check" },
      el("input", { type: "checkbox", name: "sede_ids", value: s.id, checked: user ? user.sede_ids.includes(s.id) : false }),
      `${s.code} · ${s.name}`)));
    if (user) {
      f.full_name.value = user.full_name;
      f.email.value = user.email;
      f.role.value = user.role;
      f.active.checked = user.active;
    } else {
      f.role.value = "recepcionista";
    }
    (user ? f.full_name : f.username).focus();
  }

  function body() {
    const f = form.elements;
    const out = {
      full_name: f.full_name.value.trim(), email: f.email.value.trim(), role: f.role.value,
      sede_ids: [...form.querySelectorAll("input[name=sede_ids]:checked")].map((i) => i.value),
    };
    if (editing) out.active = f.active.checked;
    else Object.assign(out, { username: f.username.value.trim(), password: f.password.value });
    return out;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formErrors(form, null, general);
    try {
      const saved = editing
        ? await api.put(`/api/users/${encodeURIComponent(editing.id)}`, body())
        : await api.post("/api/users", body());
      editor.hidden = true;
      flash(`Usuario ${saved.username} guardado.`);
      await load();
    } catch (err) { formErrors(form, err, general); }
  });
  document.getElementById("user-cancel").addEventListener("click", () => { editor.hidden = true; });
  document.getElementById("user-deactivate").addEventListener("click", async () => {
    if (!editing) return;
    try {
      const saved = await api.del(`/api/users/${encodeURIComponent(editing.id)}`);
      editor.hidden = true;
      flash(`Usuario ${saved.username} desactivado.`);
      await load();
    } catch (err) { formErrors(form, err, general); }
  });
  reset.addEventListener("submit", async (event) => {
    event.preventDefault();
    formErrors(reset, null);
    if (!editing) return;
    try {
      const answer = await api.post(`/api/users/${encodeURIComponent(editing.id)}/reset-password`,
        { new_password: reset.elements.new_password.value });
      reset.reset();
      flash(answer.message);
    } catch (err) { formErrors(reset, err, general); }
  });

  async function load() {
    const params = new URLSearchParams();
    const q = filter.elements.q.value.trim();
    if (q) params.set("q", q);
    if (filter.elements.active.value) params.set("active", filter.elements.active.value);
    data = await api.get(`/api/web/users?${params}`);
    document.getElementById("user-new").hidden = !data.can_edit;
    if (!sedesShown) { sedePicker(filter.elements.sede, data.sedes); sedesShown = true; }
    show(0);
  }

  // One page of the users of the chosen sede (filtered here: the API answers every visible user).
  function show(offset) {
    const sede = filter.elements.sede.value;
    const rows = sede ? data.items.filter((u) => u.sede_ids.includes(sede)) : data.items;
    const page = rows.slice(offset, offset + PAGE);
    pager(document.getElementById("users-pager"), { offset, limit: PAGE, shown: page.length, total: rows.length }, show);
    fill(tbody, page.map((u) => el("tr", { "data-user": u.username, class: u.active ? "" : "muted" },
      el("td", {}, u.username), el("td", {}, u.full_name), el("td", {}, u.email || "—"),
      el("td", {}, roleLabel(u.role)), el("td", { title: u.sede_ids.length > 6 ? fullCodes(u.sede_ids) : null }, codes(u.sede_ids)),
      el("td", {}, u.active ? "Activo" : "Inactivo"),
      el("td", { title: `Modificado: ${when(u.updated_at)}` }, data.can_edit
        ? el("button", { type: "button", class: "small", onclick: () => open(u) }, "Editar") : null))),
    7, "Ningún usuario coincide.");
  }

  async function roles() {
    const section = document.getElementById("roles-section");
    section.hidden = !data.can_edit; // the matrix is read with user.manage
    if (!data.can_edit) return;
    const matrix = await api.get("/api/roles");
    const text = Object.fromEntries(matrix.permissions.map((p) => [p.name, p.description]));
    fill(document.querySelector("#roles tbody"), matrix.roles.map((r) => el("tr", { "data-role": r.role },
      el("td", {}, r.label), el("td", {}, `${r.permissions.length}: ${r.permissions.map((p) => text[p] || p).join(" · ")}`))), 2);
  }

  document.getElementById("user-new").addEventListener("click", () => open(null));
  filter.elements.sede.addEventListener("change", () => show(0));
  filter.addEventListener("submit", (e) => { e.preventDefault(); load().catch((err) => flash(err.message)); });
  await load();
  await roles();
}
