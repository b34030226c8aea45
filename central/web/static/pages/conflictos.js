import { api, el, fill, flash, when } from "../lib.js";

const show = (v) => (v === null || v === undefined ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v));

export default async function () {
  const tbody = document.querySelector("#conflicts tbody");
  const status = document.getElementById("conflict-status");

  function actions(c) {
    if (c.status !== "open") return el("td", {}, c.resolution || "");
    const choices = c.kind === "field" || c.field
      ? [["kept", "Mantener vigente"], ["other", "Aplicar sobrescrito"]]
      : [["acknowledge", "Dar por revisado"]];
    return el("td", {}, ...choices.map(([choice, label]) => el("button", {
      type: "button", class: "small", "data-choice": choice,
      onclick: async () => {
        try {
          await api.post(`/api/sync/conflicts/${encodeURIComponent(c.id)}/resolve`, { choice });
          flash("Conflicto resuelto.");
          await load();
        } catch (err) { flash(err.message); }
      },
    }, label)));
  }

  async function load() {
    const q = status.value ? `?status=${status.value}` : "";
    const rows = await api.get(`/api/sync/conflicts${q}`);
    fill(tbody, rows.map((c) => el("tr", { "data-conflict": c.id },
      el("td", {}, when(c.created_at)), el("td", {}, c.kind), el("td", {}, `${c.record_type} ${c.record_id}`),
      el("td", {}, c.field || "—"), el("td", {}, show(c.kept_value)), el("td", {}, show(c.other_value)),
      el("td", {}, c.status === "open" ? "Abierto" : "Resuelto"), actions(c))), 8, "No hay conflictos.");
  }
  status.addEventListener("change", () => load().catch((err) => flash(err.message)));
  await load();
}
