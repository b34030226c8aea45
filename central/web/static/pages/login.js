import { PREFIX, request, saveSession, showError } from "../lib.js";

export default async function () {
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const data = new FormData(form);
    const username = String(data.get("username") || "").trim();
    const password = String(data.get("password") || "");
    if (!username || !password) { // the API would answer "Texto demasiado corto." twice
      showError(error, !username ? "Escriba su usuario." : "Escriba su contraseña.");
      form.elements[!username ? "username" : "password"].focus();
      return;
    }
    try {
      const pair = await request("POST", "/api/auth/login", { username, password }, { retry: false });
      saveSession(pair);
      const next = new URLSearchParams(location.search).get("next") || "";
      location.assign(next.startsWith(`${PREFIX}`) && !next.startsWith(`${PREFIX}/ingresar`) ? next : PREFIX);
    } catch (err) {
      showError(error, err);
    }
  });
}
