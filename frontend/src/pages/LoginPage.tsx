import { type FormEvent, useEffect, useRef, useState } from "react";
import { ApiError } from "../api/client";
import { APP_NAME, usePageTitle } from "../app/page";
import { useLogin } from "../app/session";

/** The sign-in form. On success the session query holds the user and the app shows the user's home page. */
export function LoginPage() {
  usePageTitle("Sign in");
  const login = useLogin();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate({ username: username.trim(), password });
  };
  const error = login.error
    ? login.error instanceof ApiError
      ? login.error.message
      : `Cannot reach the server: ${String(login.error)}`
    : "";
  return (
    <main className="centered">
      <form className="login card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">{APP_NAME}</h1>
        <p className="muted">Sign in to see your work.</p>
        <label htmlFor="login-username">Username</label>
        <input id="login-username" data-testid="login-username" ref={first} autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} />
        <label htmlFor="login-password">Password</label>
        <input id="login-password" data-testid="login-password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <p className="error" role="alert" data-testid="login-error">
          {error}
        </p>
        <button type="submit" className="primary" data-testid="login-submit" disabled={login.isPending}>
          Sign in
        </button>
      </form>
    </main>
  );
}
