/**
 * The reading-room single-page app: login, worklist, reading view. Routes: `/` (worklist or
 * login), `/read/<assignment id>`. URL switches: `?gpu=1` renders with WebGL (CPU rendering is
 * the default; `?cpu=1` forces it), `?sim=mouse` makes the mouse the default tracker, `?rate=Hz`
 * sets the simulated sampling rate (default 250).
 */
import "./styles.css";
import { ApiClient } from "./api/client";
import type { User } from "./api/types";
import type { TrackerKind } from "./gaze/trackers";
import { h, mount } from "./ui/dom";
import { loginScreen } from "./ui/login";
import { worklistScreen } from "./ui/worklist";

const api = new ApiClient();
const app = document.getElementById("app") as HTMLElement;
const params = new URLSearchParams(window.location.search);
const options = {
  useCPU: params.get("cpu") === "1" || params.get("gpu") !== "1",
  trackerKind: (params.get("sim") === "mouse" ? "mouse" : "simulated") as TrackerKind,
  rateHz: Number(params.get("rate")) > 0 ? Number(params.get("rate")) : 250,
};
/** Query string kept across in-app navigation (so that ?cpu=1 etc. survive). */
const keptQuery = window.location.search;

let user: User | null = null;
let current: { destroy?: () => void } | null = null;

function navigate(path: string, replace = false): void {
  const url = `${path}${keptQuery}`;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  void route();
}

function header(): HTMLElement {
  return h(
    "header",
    { class: "topbar" },
    h("a", { class: "brand", href: `/${keptQuery}`, onclick: (e: Event) => { e.preventDefault(); navigate("/"); } }, "CoGaze reading room"),
    h("span", { class: "spacer" }),
    user ? h("span", { class: "muted", "data-testid": "current-user" }, `${user.username}${user.roles.length ? ` (${user.roles.join(", ")})` : ""}`) : null,
    user
      ? h("button", {
          class: "link",
          "data-testid": "logout",
          onclick: async () => {
            await api.logout().catch(() => undefined);
            user = null;
            navigate("/");
          },
        }, "Sign out")
      : null,
  );
}

let routeToken = 0;

async function route(): Promise<void> {
  const token = ++routeToken;
  current?.destroy?.();
  current = null;
  if (!user) user = await api.me().catch(() => null);
  if (!user) {
    mount(app, header(), loginScreen(api, (u) => { user = u; void route(); }));
    return;
  }
  const match = window.location.pathname.match(/^\/read\/(\d+)\/?$/);
  if (match) {
    // Cornerstone is large: load it only when a case is opened.
    const { readingScreen } = await import("./ui/reading");
    if (token !== routeToken) return;
    const screen = readingScreen(api, Number(match[1]), options, () => navigate("/"));
    current = screen;
    mount(app, header(), screen.element);
    return;
  }
  if (window.location.pathname !== "/") history.replaceState(null, "", `/${keptQuery}`);
  mount(app, header(), worklistScreen(api, (item) => navigate(`/read/${item.id}`)));
}

window.addEventListener("popstate", () => void route());
void api.ensureCsrf().catch(() => undefined).finally(() => void route());
