// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "../../src/app/App";
import { CURATOR, READER, WORKLIST, renderWithServices } from "./fakeApi";

vi.mock("../../src/viewer/handle", async (original) => ({
  ...(await original<typeof import("../../src/viewer/handle")>()),
  // The worklist prefetches the next case through the viewer module; no Cornerstone in jsdom.
  loadViewer: () => Promise.resolve({ openViewer: vi.fn(), prefetchImage: vi.fn(() => Promise.resolve()) }),
}));

afterEach(cleanup);

describe("App", () => {
  it("asks an anonymous visitor to sign in, then shows the reader's worklist with focus on its heading", async () => {
    let signedIn = false;
    const { calls } = renderWithServices(<App />, {
      "GET /api/auth/me/": () => ({ json: signedIn ? { authenticated: true, user: READER } : { authenticated: false, user: null } }),
      "POST /api/auth/login/": (body) => {
        signedIn = true;
        return { json: { ...READER, username: (body as { username: string }).username } };
      },
      "GET /api/worklist/": () => ({ json: WORKLIST }),
    });
    const username = await screen.findByLabelText("Username");
    expect(document.title).toBe("Sign in · CoGaze reading room");
    expect(document.activeElement).toBe(username);
    fireEvent.change(username, { target: { value: "reader1" } });
    fireEvent.change(screen.getByLabelText("Password"), { target: { value: "pw" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));

    const heading = await screen.findByRole("heading", { level: 1, name: "Worklist" });
    await waitFor(() => expect(document.activeElement).toBe(heading));
    expect(document.title).toBe("Worklist · CoGaze reading room");
    const table = await screen.findByRole("table");
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(2);
    expect(within(rows[0]).getByRole("button", { name: "Read CR chest PA" })).toBeEnabled();
    expect(within(rows[1]).getByRole("button", { name: "Read CR chest AP" })).toBeDisabled();
    const login = calls.find((c) => c.path === "/api/auth/login/");
    expect(login?.body).toEqual({ username: "reader1", password: "pw" });
    expect(screen.getByRole("navigation", { name: "Areas" })).toHaveTextContent("Worklist");
    expect(screen.queryByRole("link", { name: "Imports" })).toBeNull();
  });

  it("shows a wrong password as an alert and stays on the sign-in page", async () => {
    renderWithServices(<App />, {
      "GET /api/auth/me/": () => ({ json: { authenticated: false, user: null } }),
      "POST /api/auth/login/": () => ({ status: 400, json: { detail: "wrong username or password" } }),
    });
    fireEvent.change(await screen.findByLabelText("Username"), { target: { value: "x" } });
    fireEvent.change(screen.getByLabelText("Password"), { target: { value: "y" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("wrong username or password"));
  });

  it("sends a curator to the import jobs and lists them; the reader's pages are not offered", async () => {
    renderWithServices(<App />, {
      "GET /api/auth/me/": () => ({ json: { authenticated: true, user: CURATOR } }),
      "GET /api/imports/": () => ({ json: [{ id: 3, status: "done", total: 10, done: 10, imported: 8, skipped: 1, failed: 1, progress: 1, created_at: "2026-01-01T00:00:00Z" }] }),
      "GET /api/cohorts/": () => ({ json: [{ id: 1, name: "PA only", description: "", filters: { view_position: ["PA"] }, created_at: "2026-01-01T00:00:00Z" }] }),
    });
    expect(await screen.findByRole("heading", { level: 1, name: "Imports" })).toBeInTheDocument();
    const row = (await screen.findAllByRole("row"))[1];
    expect(within(row).getByRole("cell", { name: "#3" })).toBeInTheDocument();
    expect(within(row).getAllByRole("cell").map((c) => c.textContent?.trim())).toEqual(["#3", "done", "100%", "8", "1", "1"]);
    expect(screen.queryByRole("link", { name: "Worklist" })).toBeNull();
    fireEvent.click(screen.getByRole("link", { name: "Cohorts" }));
    expect(await screen.findByRole("cell", { name: "PA only" })).toBeInTheDocument();
    expect(document.title).toBe("Cohorts · CoGaze reading room");
  });

  it("refuses a reader the curator's pages", async () => {
    renderWithServices(<App />, { "GET /api/auth/me/": () => ({ json: { authenticated: true, user: READER } }), "GET /api/worklist/": () => ({ json: [] }) }, "/curation/datasets");
    expect(await screen.findByRole("heading", { level: 1, name: "Not available" })).toBeInTheDocument();
  });
});
