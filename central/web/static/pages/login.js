import { PREFIX, request, saveSession, showError } from "../lib.js";

export default async function () {
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const data = new FormData(form);
    try {
      const pair = await request("POST", "/api/auth/login", {
        username: String(data.get("username") || "").trim(),
        password: String(data.get("password") || ""),
      }, { retry: false });
      saveSession(pair);
      const next = new URLSearchParams(location.search).get("next") || "";
      location.assign(next.startsWith(`${PREFIX}`) && !next.startsWith(`${PREFIX}/ingresar`) ? next : PREFIX);
    } catch (err) {
      showError(error, err);
    }
  });
}
