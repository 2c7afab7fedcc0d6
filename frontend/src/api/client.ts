/**
 * Typed client for the reading-room HTTP API (Django session auth + CSRF header).
 */
import type {
  ImageMeta,
  ReportPayload,
  Results,
  StartedSession,
  User,
  WorklistItem,
} from "./types";
import type { DicomJsonDataset } from "../viewer/dicomweb";

/** Transfer syntax of the uncompressed frames the viewer asks WADO-RS for. */
const EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1";

/** An HTTP error with the status code and the parsed JSON body, when there was one. */
export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;

  constructor(status: number, body: unknown, message?: string) {
    super(message ?? describeError(status, body));
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }
}

/** Render a DRF error body (`{detail}` or `{field: [messages]}`) as one line. */
export function describeError(status: number, body: unknown): string {
  if (body && typeof body === "object") {
    const record = body as Record<string, unknown>;
    if (typeof record.detail === "string") return record.detail;
    const parts = Object.entries(record).map(([field, value]) => {
      const text = Array.isArray(value) ? value.join(" ") : String(value);
      return `${field}: ${text}`;
    });
    if (parts.length) return parts.join("; ");
  }
  if (typeof body === "string" && body.trim()) return `HTTP ${status}: ${body.trim().slice(0, 200)}`;
  return `HTTP ${status}`;
}

/** Read one cookie's value from a `document.cookie`-style string. */
export function readCookie(cookieString: string, name: string): string | null {
  for (const part of cookieString.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

type FetchLike = typeof fetch;

export interface ApiClientOptions {
  /** Prefix for every path (default ""; same origin). */
  baseUrl?: string;
  fetchImpl?: FetchLike;
  /** Returns the current cookie string (default: `document.cookie`). */
  cookies?: () => string;
}

/** The reading-room API. All methods throw {@link ApiError} on a non-2xx answer. */
export class ApiClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: FetchLike;
  private readonly cookies: () => string;

  constructor(options: ApiClientOptions = {}) {
    this.baseUrl = options.baseUrl ?? "";
    this.fetchImpl = options.fetchImpl ?? ((input, init) => fetch(input, init));
    this.cookies = options.cookies ?? (() => (typeof document === "undefined" ? "" : document.cookie));
  }

  /** Absolute or same-origin URL for a path the server returned (wado_rs_url, heatmap url, ...). */
  resolve(path: string): string {
    if (/^https?:\/\//.test(path)) return path;
    return `${this.baseUrl}${path}`;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    const unsafe = !["GET", "HEAD", "OPTIONS"].includes(method);
    if (unsafe) {
      await this.ensureCsrf();
      const token = readCookie(this.cookies(), "csrftoken");
      if (token) headers["X-CSRFToken"] = token;
    }
    let payload: string | undefined;
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const response = await this.fetchImpl(this.resolve(path), {
      method,
      headers,
      body: payload,
      credentials: "same-origin",
    });
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!response.ok) throw new ApiError(response.status, parsed);
    return parsed as T;
  }

  /** GET /api/auth/csrf/ once, so that the `csrftoken` cookie is set. */
  async ensureCsrf(): Promise<void> {
    // The server sets the cookie with the page itself; ask only when it is missing.
    if (readCookie(this.cookies(), "csrftoken")) return;
    await this.request<unknown>("GET", "/api/auth/csrf/");
  }

  login(username: string, password: string): Promise<User> {
    return this.request<User>("POST", "/api/auth/login/", { username, password });
  }

  async logout(): Promise<void> {
    await this.request<unknown>("POST", "/api/auth/logout/");
  }

  /** The logged-in user, or null when the session is anonymous (401/403). */
  async me(): Promise<User | null> {
    try {
      return await this.request<User>("GET", "/api/auth/me/");
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return null;
      throw error;
    }
  }

  worklist(): Promise<WorklistItem[]> {
    return this.request<WorklistItem[]>("GET", "/api/worklist/");
  }

  startAssignment(assignmentId: number): Promise<StartedSession> {
    return this.request<StartedSession>("POST", `/api/assignments/${assignmentId}/start/`);
  }

  image(imageId: number): Promise<ImageMeta> {
    return this.request<ImageMeta>("GET", `/api/images/${imageId}/`);
  }

  /** WADO-RS metadata of an instance (`{instance url}/metadata`): a list of DICOM JSON data sets. */
  async wadoMetadata(instanceUrl: string): Promise<DicomJsonDataset[]> {
    const response = await this.fetchImpl(this.resolve(`${instanceUrl}/metadata`), {
      headers: { Accept: "application/dicom+json" },
      credentials: "same-origin",
    });
    if (!response.ok) throw new ApiError(response.status, await response.text());
    return (await response.json()) as DicomJsonDataset[];
  }

  /**
   * WADO-RS frames of an instance (`{instance url}/frames/{list}`), uncompressed little-endian: the
   * multipart/related body and its Content-Type (which names the boundary).
   */
  async wadoFrames(instanceUrl: string, frames: number[] = [1]): Promise<{ contentType: string; body: Uint8Array }> {
    const response = await this.fetchImpl(this.resolve(`${instanceUrl}/frames/${frames.join(",")}`), {
      headers: { Accept: `multipart/related; type="application/octet-stream"; transfer-syntax=${EXPLICIT_VR_LITTLE_ENDIAN}` },
      credentials: "same-origin",
    });
    if (!response.ok) throw new ApiError(response.status, await response.text());
    return { contentType: response.headers.get("Content-Type") ?? "", body: new Uint8Array(await response.arrayBuffer()) };
  }

  submitReport(sessionId: number | string, report: ReportPayload): Promise<{ id: number }> {
    return this.request<{ id: number }>("POST", `/api/sessions/${sessionId}/report/`, report);
  }

  results(sessionId: number | string): Promise<Results> {
    return this.request<Results>("GET", `/api/sessions/${sessionId}/results/`);
  }
}
