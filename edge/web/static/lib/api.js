// JSON API client: same-origin cookie session, CSRF double submit, one error shape.
export const PREFIX = "/recepcion";

// What to do, in Spanish, when the answer carries no message of its own (a proxy's 502, a
// server restarting): what was typed stays on the page, so confirming again is safe.
export const KEEP_TYPED = "Lo escrito no se pierde: espere unos segundos y vuelva a confirmar.";

function statusMessage(status) {
  if (status >= 500) return `El servidor de la sede no pudo atender el pedido (error ${status}). ${KEEP_TYPED}`;
  return `El servidor de la sede rechazó el pedido (error ${status}).`;
}

export class ApiError extends Error {
  constructor(status, detail) {
    const items = Array.isArray(detail) ? detail : [];
    super(items.length ? items.map((d) => d.msg).join(" ") : statusMessage(status));
    this.status = status;
    this.detail = items;
  }
  get code() {
    return this.detail.length ? this.detail[0].type : "";
  }
}

export function cookie(name) {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return "";
}

let refreshing = null;

async function refreshSession() {
  // One refresh at a time, shared by every request that got a 401.
  if (!refreshing) {
    refreshing = fetch("/api/auth/refresh", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": cookie("labred_csrf"), Accept: "application/json" },
    })
      .then((r) => r.ok)
      .catch(() => false)
      .finally(() => {
        setTimeout(() => { refreshing = null; }, 0);
      });
  }
  return refreshing;
}

export function goToLogin() {
  const here = location.pathname + location.search;
  location.assign(`${PREFIX}/ingresar?next=${encodeURIComponent(here)}`);
}

function networkError() {
  return new ApiError(0, [
    { type: "network", msg: `No se pudo contactar al servidor de la sede (se está reiniciando o se cortó la red). ${KEEP_TYPED}`, loc: [] },
  ]);
}

export async function api(method, path, body, { retry = true, quiet401 = false, headers: extra = {} } = {}) {
  const headers = { Accept: "application/json", ...extra };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = cookie("labred_csrf");
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw networkError();
  }
  const authCall = /^\/api\/auth\/(login|refresh|logout)/.test(path);
  if (response.status === 401 && retry && !authCall) {
    if (await refreshSession()) return api(method, path, body, { retry: false, quiet401, headers: extra });
    if (!quiet401) goToLogin();
  }
  let data = null;
  const type = response.headers.get("content-type") || "";
  if (type.includes("application/json")) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    throw new ApiError(response.status, data && data.detail);
  }
  return data;
}

export const get = (path, opts) => api("GET", path, undefined, opts);
export const post = (path, body, opts) => api("POST", path, body ?? {}, opts);
export const put = (path, body, opts) => api("PUT", path, body ?? {}, opts);
