// The page frame: who is signed in, the node's state (polled), and the keyboard shortcuts.
import { ApiError, PREFIX, get, post } from "./api.js";
import { $, toast } from "./dom.js";

const POLL_MS = 5000;
const handlers = {};

// Pages override a shortcut: onKey("F4", fn). Returning false lets the default run.
export function onKey(key, fn) {
  handlers[key] = fn;
}

function go(path) {
  location.assign(path);
}

const DEFAULTS = {
  F2: () => go(PREFIX),
  F3: () => go(`${PREFIX}/ordenes/nueva`),
  F4: () => go(`${PREFIX}/ordenes/nueva`),
  F6: () => go(`${PREFIX}/caja`),
  F7: () => go(`${PREFIX}/pacientes/nuevo`),
  F8: () => go(`${PREFIX}/ordenes`),
  F9: () => go(`${PREFIX}/descuentos`),
};

function escape(event) {
  const dialog = document.querySelector("dialog[open]");
  if (dialog) return; // the dialog closes itself
  const box = event.target;
  if (box instanceof HTMLInputElement && box.type === "search" && box.value) {
    // Esc in a search box clears it (and its list); it never leaves the page half-typed.
    event.preventDefault();
    box.value = "";
    box.dispatchEvent(new Event("input", { bubbles: true }));
    return;
  }
  if (handlers.Escape && handlers.Escape(event) !== false) return;
  if (history.length > 1) history.back();
  else go(PREFIX);
}

function ctrlEnter(event) {
  if (handlers["Ctrl+Enter"] && handlers["Ctrl+Enter"](event) !== false) return;
  const active = document.activeElement;
  const form = (active && active.form) || document.querySelector("dialog[open] form") || document.querySelector("form[data-primary]:not([hidden])");
  if (form) form.requestSubmit();
}

export function installShortcuts() {
  document.addEventListener("keydown", (event) => {
    const key = event.key;
    if (key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      ctrlEnter(event);
      return;
    }
    if (key === "Escape") {
      escape(event);
      return;
    }
    if (/^F\d+$/.test(key) && !event.ctrlKey && !event.altKey) {
      const fn = handlers[key];
      if (fn && fn(event) !== false) {
        event.preventDefault();
        return;
      }
      if (DEFAULTS[key]) {
        event.preventDefault();
        DEFAULTS[key]();
      }
      return;
    }
    const typing = event.target.closest && event.target.closest("input, textarea, select");
    if (!typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      const fn = handlers[`key:${key.length === 1 ? key.toLowerCase() : key}`];
      if (fn && fn(event) !== false) event.preventDefault();
    }
    if (event.altKey && key.length === 1) {
      const fn = handlers[`Alt+${key.toLowerCase()}`];
      if (fn && fn(event) !== false) event.preventDefault();
    }
  });
}

function setPill(id, text, state, title) {
  const el = document.getElementById(id);
  if (!el) return;
  el.textContent = text;
  el.dataset.state = state;
  if (title) el.title = title;
}

async function optional(path) {
  // A missing or forbidden endpoint degrades to "—" instead of breaking the header; a node
  // that does not answer at all (restarting, network cut) is said as such.
  try {
    return await get(path, { quiet401: true });
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 0)) throw err;
    return null;
  }
}

// The node itself unreachable: one red pill says so and what to do; the others go grey.
function nodeDown(down) {
  const el = document.getElementById("st-node");
  if (el) el.hidden = !down;
  if (!down) return;
  disk(null);
  for (const [id, text] of [["st-hub", "Central: ?"], ["st-sync", "Sync: —"], ["st-sunat", "SUNAT: —"], ["st-lab", "Lab: —"]]) {
    setPill(id, text, "unknown");
  }
}

const HUB_TEXT = {
  en_linea: ["Central: en línea", "ok"],
  sin_conexion: ["Central: sin conexión", "bad"],
  sin_central: ["Central: sin conexión (no configurada)", "warn"],
  comprobando: ["Central: comprobando…", "unknown"],
};

function paint(web, sync, lab) {
  let hub = web ? web.hub : "comprobando";
  if (hub === "en_linea" && sync && sync.failures > 2) hub = "sin_conexion";
  const [text, state] = HUB_TEXT[hub] || HUB_TEXT.comprobando;
  const why = sync && sync.lastError ? `Último error: ${sync.lastError}` : (web && web.hub_url) || "";
  setPill("st-hub", text, state, `Conexión con la central. ${why}`);
  if (sync) {
    setPill("st-sync", `Sync: ${sync.backlog} por enviar`, sync.backlog > 200 ? "warn" : "ok",
      sync.lastPush ? `Último envío: ${new Date(sync.lastPush).toLocaleString("es-PE")}` : "Sin envíos todavía");
  } else setPill("st-sync", "Sync: —", "unknown");
  if (web) {
    const pending = Number(web.sunat_pending || 0);
    const overdue = Number(web.sunat_overdue || 0);
    const unreachable = Number(web.sunat_unreachable || 0);
    if (unreachable) {
      // SUNAT (or the internet) is down: say so; the sale goes on and the worker resends.
      setPill("st-sunat", `SUNAT: sin conexión, ${pending} en cola${overdue ? `, ${overdue} por vencer` : ""}`, "bad",
        `${unreachable} comprobante(s) no llegaron a SUNAT por falta de conexión; se reenvían solos. Puede seguir vendiendo e imprimiendo.`);
    } else {
      setPill("st-sunat", `SUNAT: ${pending} en cola${overdue ? `, ${overdue} por vencer` : ""}`,
        overdue ? "bad" : pending > 0 ? "warn" : "ok", "Comprobantes sin respuesta de SUNAT");
    }
  } else setPill("st-sunat", "SUNAT: —", "unknown");
  if (lab) {
    setPill("st-lab", `Lab: ${lab.pending} pendientes${lab.alerts ? `, ${lab.alerts} alertas` : ""}`,
      lab.alerts ? "bad" : lab.pending ? "warn" : "ok");
  } else setPill("st-lab", "Lab: —", "unknown");
  disk(web);
}

// The sede PC's disk: shown only when it is low or full, before SQLite refuses a sale.
function disk(web) {
  const el = document.getElementById("st-disk");
  if (!el) return;
  el.hidden = !web || !web.disk || web.disk === "ok";
  if (el.hidden) return;
  const free = web.disk_free_mb === null || web.disk_free_mb === undefined ? "" : `: ${web.disk_free_mb} MB libres`;
  if (web.disk === "lleno") {
    setPill("st-disk", `Disco lleno${free}`, "bad",
      "El disco del equipo de la sede está lleno: las ventas y pagos pueden no guardarse. Avise al técnico para liberar espacio.");
  } else {
    setPill("st-disk", `Disco casi lleno${free}`, "warn",
      "Queda poco espacio en el disco del equipo de la sede. Avise al técnico antes de que se llene.");
  }
}

export async function pollStatus() {
  if (document.hidden) return; // a background tab spends none of the user's rate limit
  try {
    const web = await optional("/api/web/status");
    nodeDown(false);
    if (web) {
      paint(web,
        { backlog: web.sync_backlog, lastPush: web.sync_last_push_at, lastError: web.sync_last_error, failures: web.sync_failures },
        web.lab_pending === null ? null : { pending: web.lab_pending, alerts: web.lab_alerts });
      return;
    }
    // Older node without /api/web/status: the separate endpoints, each optional.
    const [s, l] = await Promise.all([optional("/api/sync/status"), optional("/api/lab-sync/pending")]);
    paint(null,
      s && { backlog: Number(s.backlog || 0), lastPush: s.last_push_at, lastError: s.last_error, failures: s.consecutive_failures },
      l && { pending: Number(l.total || 0), alerts: (l.alerts || []).length });
  } catch (err) {
    if (err instanceof ApiError && err.status === 0) nodeDown(true);
    else setPill("st-hub", "Central: ?", "unknown");
  }
}

async function showUser() {
  const el = $("#hdr-user");
  if (!el) return null;
  const cached = sessionStorage.getItem("labred.user");
  if (cached) {
    try {
      const u = JSON.parse(cached);
      el.textContent = `${u.full_name || u.username} · ${u.role_label || u.role}`;
    } catch {
      sessionStorage.removeItem("labred.user");
    }
  }
  const me = await get("/api/auth/me"); // 401 -> refresh or sign-in page
  sessionStorage.setItem("labred.user", JSON.stringify(me));
  el.textContent = `${me.full_name || me.username} · ${me.role_label || me.role}`;
  return me;
}

export async function startShell() {
  installShortcuts();
  const logout = $("#logout");
  if (logout) {
    logout.addEventListener("click", async () => {
      try {
        await post("/api/auth/logout", {});
      } catch (err) {
        toast(err.message, "error");
      }
      sessionStorage.clear();
      go(`${PREFIX}/ingresar`);
    });
  }
  const me = await showUser();
  pollStatus();
  setInterval(pollStatus, POLL_MS);
  document.addEventListener("visibilitychange", pollStatus);
  return me;
}
