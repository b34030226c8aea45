// Entry point: guard the session, fill the header, run the page's module.
import { PREFIX, api, clearSession, currentUser, el, goToLogin } from "./lib.js";

// A page whose data the user's role may not see: a clear "Sin acceso" panel instead of an empty
// shell with the API's refusal (the API refuses every call anyway), and a way back.
function forbidden(user) {
  const main = document.getElementById("main");
  const title = (main.querySelector("h1") || {}).textContent || document.title;
  const home = document.querySelector("nav [data-perm]:not([hidden])");
  document.title = `Sin acceso · ${document.title}`;
  document.body.dataset.forbidden = "";
  main.replaceChildren(
    el("h1", {}, "Sin acceso"),
    el("section", { class: "card denied", role: "alert", id: "forbidden" },
      el("p", {}, `Su rol (${user.role_label}) no tiene acceso a la página «${title}».`),
      el("p", { class: "muted" }, "Si la necesita para su trabajo, pida el permiso al administrador de la cadena."),
      home ? el("p", {}, el("a", { href: home.getAttribute("href") }, `Ir a ${home.textContent.trim()}`)) : null),
  );
}

async function main() {
  const page = document.body.dataset.page;
  if (page !== "login") {
    const user = currentUser();
    if (!user) { goToLogin(); return; }
    const who = document.getElementById("hdr-user");
    who.textContent = `${user.full_name} · ${user.role_label}`;
    who.title = who.textContent; // a long name is cut with "…" (app.css) and shown whole here
    // Only the pages whose data the user may see are offered (the API refuses the rest).
    const perms = new Set(user.permissions || []);
    for (const el of document.querySelectorAll("nav [data-perm]")) el.hidden = !perms.has(el.dataset.perm);
    document.getElementById("logout").addEventListener("click", async () => {
      const refresh = sessionStorage.getItem("labred_hub_refresh");
      try { if (refresh) await api.post("/api/auth/logout", { refresh_token: refresh }); } catch { /* gone anyway */ }
      clearSession();
      location.assign(`${PREFIX}/ingresar`);
    });
    const needed = document.body.dataset.perm;
    if (needed && !perms.has(needed)) { forbidden(user); return; }
  }
  const module = await import(`./pages/${page}.js`);
  await module.default();
}

main()
  .catch((err) => {
    const flash = document.getElementById("flash");
    // an error, not a confirmation: shown as one (red), never in the green of a saved change
    if (flash) { flash.textContent = err.message || String(err); flash.classList.add("bad"); flash.hidden = false; }
  })
  .finally(() => document.body.setAttribute("data-ready", ""));
