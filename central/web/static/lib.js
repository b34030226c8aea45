// Hub dashboard client: token in sessionStorage, Bearer header, one error shape, DOM helpers.
export const PREFIX = document.body.dataset.prefix || "/panel";
const ACCESS = "labred_hub_access";
const REFRESH = "labred_hub_refresh";
const USER = "labred_hub_user";

export class ApiError extends Error {
  constructor(status, detail) {
    const items = Array.isArray(detail) ? detail : [];
    super(items.length ? items.map((d) => d.msg).join(" ") : `Error ${status}`);
    this.status = status;
    this.detail = items;
  }
}

export function saveSession(pair) {
  sessionStorage.setItem(ACCESS, pair.access_token);
  sessionStorage.setItem(REFRESH, pair.refresh_token);
  sessionStorage.setItem(USER, JSON.stringify(pair.user));
}

export function currentUser() {
  try { return JSON.parse(sessionStorage.getItem(USER) || "null"); } catch { return null; }
}

export function clearSession() {
  for (const key of [ACCESS, REFRESH, USER]) sessionStorage.removeItem(key);
}

export function goToLogin() {
  const here = location.pathname + location.search;
  location.assign(`${PREFIX}/ingresar?next=${encodeURIComponent(here)}`);
}

async function refresh() {
  const token = sessionStorage.getItem(REFRESH);
  if (!token) return false;
  try {
    const r = await fetch("/api/auth/refresh", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ refresh_token: token }),
    });
    if (!r.ok) return false;
    saveSession(await r.json());
    return true;
  } catch { return false; }
}

export async function request(method, path, body, { raw = false, retry = true } = {}) {
  const headers = { Accept: raw ? "*/*" : "application/json" };
  const token = sessionStorage.getItem(ACCESS);
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let r;
  try {
    r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, [{ type: "network", msg: "No se pudo contactar a la central; revise la red.", loc: [] }]);
  }
  if (r.status === 401 && retry && !path.startsWith("/api/auth/login")) {
    if (await refresh()) return request(method, path, body, { raw, retry: false });
    clearSession();
    goToLogin();
    throw new ApiError(401, [{ type: "not_authenticated", msg: "Inicie sesión.", loc: [] }]);
  }
  if (!r.ok) {
    let detail = [];
    try { detail = (await r.json()).detail; } catch { /* not JSON */ }
    throw new ApiError(r.status, detail);
  }
  if (raw) return r;
  return r.status === 204 ? null : r.json();
}

export const api = {
  get: (path) => request("GET", path),
  post: (path, body) => request("POST", path, body ?? {}),
  put: (path, body) => request("PUT", path, body),
};

// el("td", {class: "x"}, "text", child) — text is always set as text, never parsed as HTML.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function fill(tbody, rows, colspan, empty = "Sin registros.") {
  tbody.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan }, empty))]));
}

export function showError(node, err) {
  node.textContent = err instanceof Error ? err.message : String(err);
  node.hidden = false;
}

export function flash(message) {
  const node = document.getElementById("flash");
  node.textContent = message;
  node.classList.remove("bad"); // a confirmation: green again after an error of the page
  node.hidden = false;
}

const money = new Intl.NumberFormat("es-PE", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
// "-S/ 19.50": the sign before the currency, as es-PE writes it (and the reception pages, the
// TUI and printed pages do).
export const soles = (value) => {
  if (value === null || value === undefined) return "—";
  const n = Number(value);
  const text = money.format(Math.abs(n));
  return `${n < 0 && text !== "0.00" ? "-" : ""}S/ ${text}`;
};
export const cents = (value) => (value === null || value === undefined ? "—" : soles(Number(value) / 100));
const stamp = new Intl.DateTimeFormat("es-PE", { dateStyle: "short", timeStyle: "short", timeZone: "America/Lima" });
export const when = (iso) => (iso ? stamp.format(new Date(iso)) : "nunca");
// A business date ("2026-11-28") as people in Peru read it: "28/11/2026". The one formatter of
// the pages for dates without a time (business dates, price validity, due dates, payment dates).
// Read from the text itself, never through Date (which takes "YYYY-MM-DD" as UTC midnight and
// shows the day before in Lima). None reads "—"; a text that is no real date is shown as given.
export function fecha(iso) {
  if (iso === null || iso === undefined || iso === "") return "—";
  const text = String(iso);
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return text;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const last = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return last && day >= 1 && day <= last ? `${m[3]}/${m[2]}/${m[1]}` : text;
}
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

api.del = (path) => request("DELETE", path);

// Put each error of an API answer next to its field: the last element of its loc that names a
// [data-error-for] node of the form; the rest go to `general`. Field values are never touched.
export function formErrors(form, err, general) {
  for (const node of form.querySelectorAll("[data-error-for]")) node.textContent = "";
  if (general) { general.textContent = ""; general.hidden = true; }
  if (!err) return;
  const items = err.detail && err.detail.length ? err.detail : [{ msg: err.message, loc: [] }];
  const rest = [];
  for (const item of items) {
    const names = (item.loc || []).filter((part) => typeof part === "string").reverse();
    const target = names.map((n) => form.querySelector(`[data-error-for="${CSS.escape(n)}"]`)).find(Boolean);
    if (target) target.textContent = [target.textContent, item.msg].filter(Boolean).join(" ");
    else rest.push(item.msg);
  }
  if (rest.length && general) { general.textContent = rest.join(" "); general.hidden = false; }
  const first = form.querySelector("[data-error-for]:not(:empty)");
  if (first) first.scrollIntoView({ block: "nearest" });
}

export function can(permission) {
  const user = currentUser();
  return Boolean(user && (user.permissions || []).includes(permission));
}

// The pager under a list the API serves by pages (limit/offset): "1–50 de 120" and the buttons
// to the previous and next pages, which call go(newOffset). `total` null: unknown, `more` says
// whether a next page exists. Hidden when everything fits in one page.
export function pager(node, { offset, limit, shown, total = null, more = null }, go) {
  const hasNext = more ?? offset + shown < total;
  const range = shown ? `${offset + 1}–${offset + shown}${total === null ? "" : ` de ${total}`}` : "";
  node.replaceChildren(
    el("span", { class: "muted", "data-range": "" }, range),
    el("button", { type: "button", class: "small ghost", "data-page": "prev", disabled: offset <= 0,
      onclick: () => go(Math.max(0, offset - limit)) }, "‹ Anteriores"),
    el("button", { type: "button", class: "small ghost", "data-page": "next", disabled: !hasNext,
      onclick: () => go(offset + limit) }, "Siguientes ›"),
  );
  node.hidden = offset <= 0 && !hasNext;
}

// Fetch a file the API serves (with the Bearer token, so no plain link) and hand it to the
// browser as a download named by its Content-Disposition (or `fallback`).
export async function download(method, path, body, fallback) {
  const response = await request(method, path, body, { raw: true });
  const blob = await response.blob();
  const match = /filename="?([^";]+)"?/.exec(response.headers.get("Content-Disposition") || "");
  const name = match ? match[1] : fallback;
  const link = el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
  return name;
}

// Today's business date in Lima as YYYY-MM-DD, `days` earlier when given.
export function limaDate(days = 0) {
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: "America/Lima" }).format(new Date());
  const d = new Date(`${today}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

// ---------------------------------------------------------------- sede pickers (100 sedes)
// For searching: without accents, lower case.
export const fold = (text) => String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
// By code as people count: S02 < S10 < S100 (not S10 < S100 < S11).
export const byCode = (a, b) => String(a.code).localeCompare(String(b.code), "es", { numeric: true });
//: from this many sedes on, a sede <select> gets a search box in front of it
export const SEARCH_FROM = 10;

function rememberKey(key) {
  const user = currentUser();
  return `labred_hub_sede:${user ? user.username : ""}:${key}`;
}

// Fill a sede <select> (after its fixed options, e.g. "Todas") with `sedes` sorted by code.
// With many sedes a search box goes in front: typing "87", "s087" or part of the name keeps only
// the matching options and selects the best one (the code whose number is the one typed, else the
// first), Enter applies the form as usual. With `remember` the choice is kept (per user, per
// `remember` key, in localStorage) and selected again the next time the page opens.
export function sedePicker(select, sedes, { remember = null } = {}) {
  const sorted = [...sedes].sort(byCode);
  for (const node of select.querySelectorAll("option[data-sede]")) node.remove();
  select.append(...sorted.map((s) => el("option", { value: s.id, "data-sede": "", "data-search": fold(`${s.code} ${s.name}`) },
    `${s.code} · ${s.name}`)));
  if (remember) {
    let saved = null;
    try { saved = localStorage.getItem(rememberKey(remember)); } catch { /* storage off */ }
    if (saved !== null && [...select.options].some((o) => o.value === saved)) select.value = saved;
    select.addEventListener("change", () => {
      try { localStorage.setItem(rememberKey(remember), select.value); } catch { /* storage off */ }
    });
  }
  if (sorted.length < SEARCH_FROM || select.dataset.searchable !== undefined) return;
  select.dataset.searchable = "";
  const box = el("input", { type: "search", class: "sede-search", placeholder: "Código o nombre",
    "aria-label": "Buscar sede", autocomplete: "off", maxlength: "60" });
  select.before(box);
  box.addEventListener("input", () => {
    const q = fold(box.value.trim());
    const digits = /^s?0*(\d+)$/.exec(q);
    let best = null;
    let first = null;
    for (const option of select.querySelectorAll("option[data-sede]")) {
      const exact = Boolean(digits) && new RegExp(`^s0*${digits[1]} `).test(option.dataset.search);
      const match = !q || exact || option.dataset.search.includes(q);
      option.hidden = !match;
      if (!match) continue;
      first = first || option;
      if (exact && !best) best = option;
    }
    if (!q) return;
    const pick = best || first;
    if (pick && pick.value !== select.value) {
      select.value = pick.value;
      select.dispatchEvent(new Event("change"));
    }
  });
}
