// Users and roles: list (supervisors see the users of their sedes), create, edit (role, sedes,
// data, active), deactivate and reset a password (admins: user.manage).
import { api, el, fill, flash, formErrors, when } from "../lib.js";

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
    return others ? `${known.join(", ")} y ${more}` : known.join(", ");
  }
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
    document.getElementById("user-sedes").replaceChildren(...data.sedes.map((s) => el("label", { class: "check" },
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
    fill(tbody, data.items.map((u) => el("tr", { "data-user": u.username, class: u.active ? "" : "muted" },
      el("td", {}, u.username), el("td", {}, u.full_name), el("td", {}, u.email || "—"),
      el("td", {}, roleLabel(u.role)), el("td", {}, codes(u.sede_ids)),
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
  filter.addEventListener("submit", (e) => { e.preventDefault(); load().catch((err) => flash(err.message)); });
  await load();
  await roles();
}
