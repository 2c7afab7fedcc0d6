/** A fake server for component tests: routes `METHOD /path` to JSON answers, and records the requests. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter } from "react-router";
import { ApiClient } from "../../src/api/client";
import { createHttp } from "../../src/api/http";
import { ServicesContext } from "../../src/app/context";

export type Route = (body: unknown) => { status?: number; json?: unknown };

export function fakeFetch(routes: Record<string, Route>) {
  const calls: Array<{ method: string; path: string; body: unknown }> = [];
  const impl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(new URL(String(input), "http://localhost"), init);
    const path = new URL(request.url).pathname;
    const text = request.method === "GET" ? "" : await request.text();
    const body = text ? JSON.parse(text) : undefined;
    calls.push({ method: request.method, path, body });
    const route = routes[`${request.method} ${path}`];
    if (!route) return new Response(JSON.stringify({ detail: `no route ${request.method} ${path}` }), { status: 404, headers: { "Content-Type": "application/json" } });
    const answer = route(body);
    const status = answer.status ?? 200;
    return new Response(status === 204 ? null : JSON.stringify(answer.json ?? {}), { status, headers: { "Content-Type": "application/json" } });
  };
  return { impl, calls };
}

export function renderWithServices(ui: ReactNode, routes: Record<string, Route>, path = "/") {
  const fetcher = fakeFetch({ "GET /api/auth/csrf/": () => ({ json: { detail: "ok" } }), ...routes });
  const services = {
    http: createHttp(fetcher.impl as typeof fetch),
    api: new ApiClient({ fetchImpl: fetcher.impl as typeof fetch, cookies: () => "csrftoken=abc" }),
    options: { useCPU: true, trackerKind: "simulated" as const, rateHz: 250 },
  };
  globalThis.fetch = fetcher.impl as typeof fetch;
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const result = render(
    <ServicesContext.Provider value={services}>
      <QueryClientProvider client={queryClient}>
        <MemoryRouter initialEntries={[path]}>{ui}</MemoryRouter>
      </QueryClientProvider>
    </ServicesContext.Provider>,
  );
  return { ...result, calls: fetcher.calls, queryClient };
}

export const READER = { id: 1, username: "reader1", roles: ["reader"] };
export const CURATOR = { id: 2, username: "cura", roles: ["curator"] };

export const WORKLIST = [
  { id: 11, study: { id: 5, title: "CR chest PA", indication: "Cough.", history: "None.", image_ids: [7] }, status: "pending", project: "Demo" },
  { id: 12, study: { id: 6, title: "CR chest AP", indication: "Fever.", history: "", image_ids: [8, 9] }, status: "done", project: "Demo" },
];
