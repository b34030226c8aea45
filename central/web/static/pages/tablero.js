import { api, download, el, sedePicker, showError, soles } from "../lib.js";

const KPIS = [
  ["sales", "Ventas", soles], ["orders", "Órdenes", String], ["average_ticket", "Ticket medio", soles],
  ["new_patients", "Pacientes nuevos", String], ["discounts", "Descuentos", soles],
  ["cancelled_orders", "Anuladas", String], ["covered", "Cubierto por convenios", soles],
];
const CHARTS = ["sales_by_day", "payment_methods", "top_services", "patients", "monthly"];

function query(form) {
  const params = new URLSearchParams();
  for (const key of ["from", "to", "sede"]) {
    const value = form.elements[key].value;
    if (value) params.set(key, value);
  }
  return params;
}

export default async function () {
  const form = document.getElementById("filters");
  const error = document.getElementById("filter-error");
  try {
    // report.read: a supervisor gets their own sedes (/api/config/locations is config.manage)
    const sedes = await api.get("/api/web/sedes");
    sedePicker(form.elements.sede, sedes.items || [], { remember: "tablero" });
  } catch { /* the filter stays at "Todas" */ }

  // Figures of another period or sede must not stay next to an error about the new filter.
  function clear() {
    document.getElementById("kpis").replaceChildren();
    for (const name of CHARTS) document.getElementById(`chart-${name}`).replaceChildren();
  }

  let loads = 0; // a slower answer of an earlier filter must not overwrite a newer one
  async function load() {
    const seq = ++loads;
    error.hidden = true;
    const q = query(form).toString();
    try {
      // The patients chart (distinct patients of the period, from the raw rows) comes apart,
      // so KPIs and the other charts do not wait for it.
      const patients = api.get(`/api/web/charts?${q}&part=patients`);
      patients.catch(() => {}); // reported by the await below
      const [kpi, charts] = await Promise.all([
        api.get(`/api/reports/dashboard?${q}`),
        api.get(`/api/web/charts?${q}&part=main`),
      ]);
      if (seq !== loads) return;
      form.elements.from.value = kpi.date_from;
      form.elements.to.value = kpi.date_to;
      document.getElementById("kpis").replaceChildren(
        ...KPIS.map(([key, label, format]) =>
          el("div", { class: "kpi", "data-kpi": key }, el("span", {}, label), el("strong", {}, format(kpi[key])))),
      );
      // "Pacientes nuevos" is the "Nuevo" column of the patients chart (and of the patients
      // analysis report): patients with a valid order in the period whose first order is in it.
      const newPatients = document.querySelector("[data-kpi=new_patients] strong");
      newPatients.textContent = "…";
      document.getElementById("chart-patients").textContent = "Calculando…";
      for (const name of ["sales_by_day", "payment_methods", "top_services", "monthly"]) {
        // SVG rendered by the hub with every text escaped (central/web/charts.py).
        document.getElementById(`chart-${name}`).innerHTML = charts[name];
      }
      const split = await patients;
      if (seq !== loads) return;
      document.getElementById("chart-patients").innerHTML = split.patients;
      newPatients.textContent = String(split.patients_new);
    } catch (err) {
      if (seq !== loads) return;
      clear();
      showError(error, err);
    }
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  for (const button of form.querySelectorAll("[data-export]")) {
    button.addEventListener("click", async () => {
      error.hidden = true;
      const params = query(form);
      const body = { report: form.elements.report.value, format: button.dataset.export };
      for (const [key, value] of params) body[key] = value;
      try {
        // the filters on screen (dates, sede), even if not applied yet: what the user reads
        await download("POST", "/api/reports/export", body, `reporte.${body.format}`);
      } catch (err) {
        showError(error, err);
      }
    });
  }
  await load();
}
