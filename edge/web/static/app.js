// Entry point of every reception page: the frame, then the page's own module.
import { startShell, installShortcuts } from "./lib/shell.js";
import { toast } from "./lib/dom.js";

const page = document.body.dataset.page;

async function boot() {
  let me = null;
  if (page === "login") installShortcuts();
  else me = await startShell();
  // Links only some roles use (supervisors' pages): shown when the user holds the permission.
  const perms = new Set((me && me.permissions) || []);
  for (const el of document.querySelectorAll("[data-perm]")) el.hidden = !perms.has(el.dataset.perm);
  const mod = await import(`./pages/${page}.js`);
  await mod.init({ me });
  document.body.dataset.ready = "1"; // tests (and people) can tell the page is live
}

boot().catch((err) => {
  toast(err && err.message ? err.message : "Error al cargar la página.", "error");
});
