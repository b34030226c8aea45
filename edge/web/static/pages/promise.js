// The promised results instant in es-PE, Lima time: "martes 01/12/2026 desde las 17:00"
// (domain.results_promise.format_promise prints the same on the ticket).
const PARTS = new Intl.DateTimeFormat("es-PE", {
  timeZone: "America/Lima", weekday: "long", day: "2-digit", month: "2-digit", year: "numeric",
  hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

export function fmtPromise(iso) {
  if (!iso) return "";
  const p = Object.fromEntries(PARTS.formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return `${p.weekday.toLowerCase()} ${p.day}/${p.month}/${p.year} desde las ${p.hour}:${p.minute}`;
}

// an order whose promise passed and whose results are not out yet
export const isLate = (order, now = Date.now()) => Boolean(order.results_promised_at)
  && new Date(order.results_promised_at).getTime() < now
  && !["resultados_listos", "entregada", "anulada"].includes(order.status);
