// Catalog and prices: every test and panel, by pages; users with catalog.manage change a price
// (with its reason) in place, the others (supervisors: catalog.read) only read it.
import { api, can, el, fill, flash, pager, soles } from "../lib.js";

const PAGE = 50;

export default async function () {
  const tbody = document.querySelector("#services tbody");
  const search = document.getElementById("svc-search");
  const pages = document.getElementById("svc-pager");
  const editable = can("catalog.manage");
  for (const node of document.querySelectorAll("#services [data-edit]")) node.hidden = !editable;

  function row(s) {
    const current = el("td", { class: "num", "data-price": "" }, soles(s.price));
    const cells = [el("td", {}, s.code), el("td", {}, s.name), current];
    if (!editable) return el("tr", { "data-code": s.code, "data-id": s.id }, ...cells);
    const price = el("input", { name: "price", inputmode: "decimal", size: 8, "aria-label": `Nuevo precio de ${s.name}` });
    const reason = el("input", { name: "reason", maxlength: 200, "aria-label": "Motivo" });
    const msg = el("span", { class: "error", role: "alert" });
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
    return el("tr", { "data-code": s.code, "data-id": s.id }, ...cells, el("td", {}, price), el("td", {}, reason),
      el("td", {}, el("button", { type: "button", class: "small", onclick: save }, "Guardar"), msg));
  }

  async function load(offset = 0) {
    const q = String(new FormData(search).get("q") || "").trim();
    const params = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
    if (q) params.set("q", q);
    const list = await api.get(`/api/catalog/services?${params}`);
    fill(tbody, list.items.map(row), editable ? 6 : 3, q ? "Ningún examen coincide." : "El catálogo no tiene exámenes.");
    pager(pages, { offset, limit: PAGE, shown: list.items.length, total: list.total },
      (next) => load(next).catch((err) => flash(err.message)));
  }
  search.addEventListener("submit", (e) => { e.preventDefault(); load().catch((err) => flash(err.message)); });
  await load();
}
