import { api, el, fill, flash, soles } from "../lib.js";

export default async function () {
  const tbody = document.querySelector("#services tbody");
  const search = document.getElementById("svc-search");

  function row(s) {
    const price = el("input", { name: "price", inputmode: "decimal", size: 8, "aria-label": `Nuevo precio de ${s.name}` });
    const reason = el("input", { name: "reason", maxlength: 200, "aria-label": "Motivo" });
    const msg = el("span", { class: "error", role: "alert" });
    const current = el("td", { class: "num", "data-price": "" }, soles(s.price));
    const save = async () => {
      msg.textContent = "";
      try {
        const updated = await api.put(`/api/catalog/services/${encodeURIComponent(s.id)}`,
          { price: price.value.trim().replace(",", "."), price_reason: reason.value.trim() });
        current.textContent = soles(updated.price);
        price.value = "";
        reason.value = "";
        flash(`Precio de ${updated.name} actualizado a ${soles(updated.price)}.`);
      } catch (err) { msg.textContent = err.message; }
    };
    price.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); save(); } });
    return el("tr", { "data-code": s.code, "data-id": s.id }, el("td", {}, s.code), el("td", {}, s.name), current,
      el("td", {}, price), el("td", {}, reason),
      el("td", {}, el("button", { type: "button", class: "small", onclick: save }, "Guardar"), msg));
  }

  async function load() {
    const q = String(new FormData(search).get("q") || "").trim();
    const list = await api.get(`/api/catalog/services?limit=100${q ? `&q=${encodeURIComponent(q)}` : ""}`);
    fill(tbody, list.items.map(row), 6, "Ningún examen coincide.");
  }
  search.addEventListener("submit", (e) => { e.preventDefault(); load().catch((err) => flash(err.message)); });
  await load();
}
