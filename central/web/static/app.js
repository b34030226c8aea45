// Entry point: guard the session, fill the header, run the page's module.
import { PREFIX, api, clearSession, currentUser, goToLogin } from "./lib.js";

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
  }
  const module = await import(`./pages/${page}.js`);
  await module.default();
}

main()
  .catch((err) => {
    const flash = document.getElementById("flash");
    if (flash) { flash.textContent = err.message || String(err); flash.hidden = false; }
  })
  .finally(() => document.body.setAttribute("data-ready", ""));
