import { ApiError, type ApiClient } from "../api/client";
import type { User } from "../api/types";
import { h } from "./dom";

/** The login form; calls `onLogin` with the user after a successful login. */
export function loginScreen(api: ApiClient, onLogin: (user: User) => void): HTMLElement {
  const username = h("input", { id: "login-username", "data-testid": "login-username", autocomplete: "username", required: true });
  const password = h("input", {
    id: "login-password",
    "data-testid": "login-password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const error = h("p", { class: "error", role: "alert", "data-testid": "login-error" });
  const submit = h("button", { type: "submit", class: "primary", "data-testid": "login-submit" }, "Sign in");
  const form = h(
    "form",
    { class: "login card" },
    h("h1", {}, "CoGaze reading room"),
    h("p", { class: "muted" }, "Sign in to see your worklist."),
    h("label", { for: "login-username" }, "Username"),
    username,
    h("label", { for: "login-password" }, "Password"),
    password,
    error,
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    submit.disabled = true;
    try {
      onLogin(await api.login(username.value.trim(), password.value));
    } catch (e) {
      error.textContent = e instanceof ApiError ? e.message : `Cannot reach the server: ${String(e)}`;
    } finally {
      submit.disabled = false;
    }
  });
  queueMicrotask(() => username.focus());
  return h("main", { class: "centered" }, form);
}
