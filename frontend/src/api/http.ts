/**
 * The typed HTTP client the pages use: openapi-fetch over the types generated from the Django
 * OpenAPI schema (`schema.d.ts`, `npm run gen:api`). An API change breaks the type check of the
 * page that uses it. Unsafe methods carry Django's CSRF token; errors become {@link ApiError}.
 */
import createClient, { type Middleware } from "openapi-fetch";
import { ApiClient, ApiError, readCookie } from "./client";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/** The legacy client keeps the DICOMweb calls (WADO-RS) the image loader makes, and the CSRF cookie. */
export const legacyApi = new ApiClient();

const csrf: Middleware = {
  async onRequest({ request }) {
    if (SAFE.has(request.method)) return request;
    await legacyApi.ensureCsrf();
    const token = readCookie(typeof document === "undefined" ? "" : document.cookie, "csrftoken");
    if (token) request.headers.set("X-CSRFToken", token);
    return request;
  },
};

export function createHttp(fetchImpl?: typeof fetch) {
  const client = createClient<paths>({
    baseUrl: typeof window === "undefined" ? "http://localhost" : window.location.origin,
    credentials: "same-origin",
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
  client.use(csrf);
  return client;
}

export type Http = ReturnType<typeof createHttp>;

/** Unwrap an openapi-fetch answer: its data, or an {@link ApiError} with the status and body. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new ApiError(response.status, error);
  return data as T;
}
