import { describe, expect, it } from "vitest";
import { ApiClient, ApiError, describeError, readCookie } from "../src/api/client";
import { OBSERVATIONS, buildReport, labelTestId } from "../src/report/observations";
import { socketUrl } from "../src/gaze/stream";

type Call = { url: string; init: RequestInit };

function fakeFetch(responses: Record<string, { status: number; body: unknown }>, calls: Call[]): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    calls.push({ url, init: init ?? {} });
    const r = responses[`${init?.method ?? "GET"} ${url}`] ?? { status: 404, body: { detail: "Not found." } };
    return new Response(JSON.stringify(r.body), { status: r.status, headers: { "Content-Type": "application/json" } });
  }) as typeof fetch;
}

describe("ApiClient", () => {
  it("asks for the CSRF cookie only while it is missing and sends it as X-CSRFToken on unsafe methods", async () => {
    const calls: Call[] = [];
    let cookie = "sessionid=abc";
    const fetchImpl = fakeFetch(
      {
        "GET /api/auth/csrf/": { status: 200, body: {} },
        "POST /api/auth/login/": { status: 200, body: { id: 1, username: "r", roles: ["reader"] } },
        "POST /api/assignments/4/start/": { status: 200, body: { session_id: 9, ws_path: "/ws/gaze/9/", study: {} } },
      },
      calls,
    );
    const api = new ApiClient({
      // The server sets the cookie with its answer to GET /api/auth/csrf/ (and with the page itself).
      fetchImpl: async (input, init) => {
        const response = await fetchImpl(input, init);
        if (String(input).endsWith("/api/auth/csrf/")) cookie = "sessionid=abc; csrftoken=tok%3D1";
        return response;
      },
      cookies: () => cookie,
    });
    const user = await api.login("r", "pw");
    expect(user.username).toBe("r");
    await api.startAssignment(4);
    expect(calls.map((c) => `${c.init.method} ${c.url}`)).toEqual([
      "GET /api/auth/csrf/",
      "POST /api/auth/login/",
      "POST /api/assignments/4/start/",
    ]);
    const headers = calls[1].init.headers as Record<string, string>;
    expect(headers["X-CSRFToken"]).toBe("tok=1");
    expect(JSON.parse(String(calls[1].init.body))).toEqual({ username: "r", password: "pw" });
  });

  it("does not ask for the CSRF cookie when the page already set it", async () => {
    const calls: Call[] = [];
    const api = new ApiClient({
      fetchImpl: fakeFetch({ "POST /api/assignments/4/start/": { status: 200, body: { session_id: 9, ws_path: "/ws/gaze/9/", study: {} } } }, calls),
      cookies: () => "csrftoken=abc",
    });
    await api.startAssignment(4);
    expect(calls.map((c) => `${c.init.method} ${c.url}`)).toEqual(["POST /api/assignments/4/start/"]);
  });

  it("raises ApiError with the server's message", async () => {
    const api = new ApiClient({
      fetchImpl: fakeFetch({ "GET /api/auth/csrf/": { status: 200, body: {} }, "POST /api/auth/login/": { status: 400, body: { detail: "Bad credentials" } } }, []),
      cookies: () => "csrftoken=x",
    });
    const error = await api.login("a", "b").catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(400);
    expect(error.message).toBe("Bad credentials");
  });

  it("treats 403 from /me as logged out", async () => {
    const api = new ApiClient({ fetchImpl: fakeFetch({ "GET /api/auth/me/": { status: 403, body: { detail: "no" } } }, []) });
    expect(await api.me()).toBeNull();
  });

  it("describes DRF field errors on one line", () => {
    expect(describeError(400, { labels: ["all 14 required"], findings: ["too long"] })).toBe("labels: all 14 required; findings: too long");
    expect(describeError(500, "")).toBe("HTTP 500");
  });

  it("reads cookies by exact name", () => {
    expect(readCookie("xcsrftoken=1; csrftoken=2", "csrftoken")).toBe("2");
    expect(readCookie("a=1", "csrftoken")).toBeNull();
  });
});

describe("report payload", () => {
  it("has all 14 observations in order, defaulting to not_mentioned", () => {
    const report = buildReport(" Findings. ", "Impression.", { Cardiomegaly: "present", "Pleural Effusion": "uncertain" });
    expect(Object.keys(report.labels)).toEqual([...OBSERVATIONS]);
    expect(OBSERVATIONS).toHaveLength(14);
    expect(report.labels.Cardiomegaly).toBe("present");
    expect(report.labels["Pleural Effusion"]).toBe("uncertain");
    expect(report.labels["No Finding"]).toBe("not_mentioned");
    expect(report.findings).toBe("Findings.");
  });

  it("refuses an unknown label value", () => {
    expect(() => buildReport("a", "b", { Edema: "maybe" as never })).toThrow(/Edema/);
  });

  it("names the test ids with dashes for spaces", () => {
    expect(labelTestId("Enlarged Cardiomediastinum")).toBe("label-Enlarged-Cardiomediastinum");
  });
});

describe("socketUrl", () => {
  it("uses ws on http and wss on https, on the page's host", () => {
    expect(socketUrl("/ws/gaze/3/", { protocol: "http:", host: "localhost:8000" })).toBe("ws://localhost:8000/ws/gaze/3/");
    expect(socketUrl("/ws/gaze/3/", { protocol: "https:", host: "rr.example" })).toBe("wss://rr.example/ws/gaze/3/");
  });
});

describe("ApiClient WADO-RS", () => {
  const instance = "/api/dicomweb/studies/1.2/series/1.3/instances/1.4";

  it("asks for DICOM JSON metadata and uncompressed little-endian frames, and returns the multipart body", async () => {
    const calls: Call[] = [];
    const bytes = Uint8Array.from([45, 45, 98, 13, 10, 0, 255]);
    const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
      calls.push({ url: String(input), init: init ?? {} });
      if (String(input).endsWith("/metadata")) {
        return new Response(JSON.stringify([{ "00280010": { vr: "US", Value: [4] } }]), {
          status: 200,
          headers: { "Content-Type": "application/dicom+json" },
        });
      }
      return new Response(bytes, { status: 200, headers: { "Content-Type": "multipart/related; boundary=b" } });
    }) as typeof fetch;
    const api = new ApiClient({ fetchImpl, baseUrl: "http://h" });
    const metadata = await api.wadoMetadata(instance);
    expect(metadata[0]["00280010"]?.Value).toEqual([4]);
    const frames = await api.wadoFrames(instance);
    expect(frames.contentType).toBe("multipart/related; boundary=b");
    expect(Array.from(frames.body)).toEqual(Array.from(bytes));
    expect(calls.map((c) => c.url)).toEqual([`http://h${instance}/metadata`, `http://h${instance}/frames/1`]);
    expect((calls[0].init.headers as Record<string, string>).Accept).toBe("application/dicom+json");
    expect((calls[1].init.headers as Record<string, string>).Accept).toBe(
      'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1',
    );
  });

  it("throws ApiError with the status on a refused frame request", async () => {
    const api = new ApiClient({ fetchImpl: fakeFetch({}, []) });
    await expect(api.wadoFrames(instance)).rejects.toMatchObject({ status: 404 });
  });
});
