import { PREFIX, post } from "../lib/api.js";
import { $ } from "../lib/dom.js";
import { clearErrors, oneAtATime, showErrors, values } from "../lib/forms.js";

function nextUrl() {
  const next = new URLSearchParams(location.search).get("next") || "";
  // Only back into the reception UI (no open redirect).
  return next.startsWith(`${PREFIX}`) && !next.startsWith("//") ? next : PREFIX;
}

export function init() {
  const form = $("#login-form");
  // Sent here from a page of this tab (a session that expired mid-sale): say why, and that the
  // draft waits. A first visit (nobody signed in yet in this tab) needs no explanation.
  const next = new URLSearchParams(location.search).get("next");
  $("#login-expired").hidden = !(next && sessionStorage.getItem("labred.user"));
  // Disabled in the markup: before this module runs, Enter must not submit the password.
  form.querySelector("button[type=submit]").disabled = false;
  form.addEventListener("submit", oneAtATime(async () => {
    clearErrors(form);
    const body = values(form);
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const session = await post("/api/auth/login", body);
      sessionStorage.setItem("labred.user", JSON.stringify(session.user));
      location.assign(nextUrl());
      return true; // signed in: the page moves on
    } catch (err) {
      showErrors(form, err);
      form.elements.password.select();
    } finally {
      button.disabled = false;
    }
  }));
}
