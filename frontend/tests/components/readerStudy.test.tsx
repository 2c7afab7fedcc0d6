// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { WorklistPage } from "../../src/pages/WorklistPage";
import { ReportForm, type SubmittedReport } from "../../src/reading/ReportForm";
import { ReportVersions } from "../../src/reading/ReportVersions";
import { ResultsPanel } from "../../src/reading/ResultsPanel";
import { DataLossMeter, TrackingPanel } from "../../src/reading/TrackingPanel";
import { createHttp } from "../../src/api/http";
import { ApiClient } from "../../src/api/client";
import { renderWithServices } from "./fakeApi";

vi.mock("../../src/viewer/handle", async (original) => ({
  ...(await original<typeof import("../../src/viewer/handle")>()),
  loadViewer: () => Promise.resolve({ openViewer: vi.fn(), prefetchImage: vi.fn(() => Promise.resolve()) }),
}));

afterEach(cleanup);

const study = (id: number, title: string) => ({ id, title, indication: "", history: "", image_ids: [id] });

describe("reader pages of a study", () => {
  it("shows each case's arm, and a case of a later arm as not open with the reason", async () => {
    renderWithServices(<WorklistPage />, {
      "GET /api/worklist/": () => ({
        json: [
          { id: 1, study: study(5, "Case A"), status: "pending", project: "Pilot", project_id: 2, arm: { id: 1, name: "With AI", mode: "ai_assisted", position: 0 }, available: true, available_from: null, blocked_reason: "" },
          { id: 2, study: study(6, "Case B"), status: "pending", project: "Pilot", project_id: 2, arm: { id: 2, name: "Unaided", mode: "unaided", position: 1 }, available: false, available_from: null, blocked_reason: "read every case of With AI first" },
        ],
      }),
    });
    const rows = within(await screen.findByRole("table")).getAllByRole("row").slice(1);
    expect(rows[0]).toHaveTextContent("With AI (AI-assisted)");
    expect(within(rows[0]).getByRole("button", { name: "Read Case A" })).toBeEnabled();
    expect(rows[1]).toHaveTextContent("Not open: read every case of With AI first");
    expect(within(rows[1]).getByRole("button", { name: "Read Case B" })).toBeDisabled();
  });

  it("sends the typed sentences with their keystroke times on the given clock", async () => {
    let now = 1000;
    const sent: SubmittedReport[] = [];
    render(<ReportForm now={() => now} onSubmit={async (r) => void sent.push(r)} />);
    const findings = screen.getByRole("textbox", { name: "Findings" });
    fireEvent.change(findings, { target: { value: "Heart" } });
    now = 1500;
    fireEvent.change(findings, { target: { value: "Heart normal." } });
    now = 2000;
    fireEvent.change(screen.getByRole("textbox", { name: "Impression" }), { target: { value: "Normal." } });
    fireEvent.click(screen.getByRole("button", { name: "Submit report" }));
    await screen.findByText("Submitted: this report is locked.");
    expect(sent[0].sentences).toEqual([
      { text: "Heart normal.", start_ms: 1000, end_ms: 1500 },
      { text: "Normal.", start_ms: 2000, end_ms: 2000 },
    ]);
  });

  it("lists the report's versions and refuses an amendment without a reason", async () => {
    const { calls } = renderWithServices(<Versions />, {
      "GET /api/sessions/4/report/": () => ({
        json: {
          id: 1, findings: "Lungs clear.", impression: "", labels: {}, version: 1, locked: true, submitted_at: "2026-01-01T00:00:00Z",
          versions: [{ number: 1, kind: "first_read", findings: "Lungs clear.", impression: "", labels: {}, sentences: [], author: "reader1", reason: "", created_at: "2026-01-01T00:00:00Z" }],
        },
      }),
      "POST /api/sessions/4/report/amendments/": () => ({ status: 201, json: {} }),
    });
    const list = await screen.findByRole("list");
    expect(within(list).getByRole("listitem")).toHaveTextContent("First read by reader1");
    fireEvent.click(screen.getByRole("button", { name: "Amend the report" }));
    fireEvent.click(screen.getByRole("button", { name: "Save the amendment" }));
    expect(await screen.findByText("Say why the report is amended.")).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(0);
    fireEvent.change(screen.getByLabelText("Reason (required)"), { target: { value: "typo" } });
    fireEvent.click(screen.getByRole("button", { name: "Save the amendment" }));
    await waitFor(() => expect(calls.find((c) => c.method === "POST")?.body).toEqual({ findings: "Lungs clear.", impression: "", labels: {}, reason: "typo" }));
  });

  it("shows the model beside the reader's labels with agreement per observation, updated from the cache", async () => {
    const results = {
      type: "results", session_id: 4, status: "done", error: null, fixation_count: 7, sample_count: 900, heatmap: null, arm_mode: "ai_assisted", phase: "first_read",
      prediction: {
        status: "done", message: "", findings: "Enlarged heart.", attention_url: null,
        probabilities: { Cardiomegaly: 0.8, Edema: 0.1 },
        agreement: { compared: 2, agree: 1, disagreements: ["Edema"], observations: [
          { observation: "Cardiomegaly", reader: "present", model_probability: 0.8, model_positive: true, agree: true },
          { observation: "Edema", reader: "present", model_probability: 0.1, model_positive: false, agree: false },
        ] },
      },
    };
    const { calls, queryClient } = renderWithServices(<Results />, { "GET /api/sessions/4/results/": () => ({ json: { ...results, prediction: { ...results.prediction, status: "pending", probabilities: null, agreement: null } } }) });
    expect(await screen.findByTestId("prediction-panel")).toHaveAttribute("data-status", "pending");
    await waitFor(() => expect(calls.filter((c) => c.path === "/api/sessions/4/results/")).toHaveLength(1));
    queryClient.setQueryData(["results", 4], results);
    const table = await screen.findByRole("table", { name: "Model probability and your label per observation" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((r) => (r.textContent ?? "").replace(/\s+/g, ""))).toEqual(["Cardiomegaly0.80presentyes", "Edema0.10presentno"]);
    expect(screen.getByTestId("agreement-summary")).toHaveTextContent("Agreement: 1 of 2 observations you mentioned (differs on Edema)");
    expect(screen.getByTestId("prediction-findings")).toHaveTextContent("Enlarged heart.");
    expect(calls.filter((c) => c.path === "/api/sessions/4/results/")).toHaveLength(1);
  });

  it("calibrates with the simulator: posts the 9 targets and their samples, shows the server's figures", async () => {
    const check = (kind: string) => ({ id: 1, session_id: 4, kind, targets: [], accuracy_deg: 0.04, precision_rms_deg: 0.031, data_loss_pct: 0, offset_px: null, passed: true, limits: {}, created_at: "2026-01-01T00:00:00Z" });
    let state = "calibration_due";
    const { calls } = renderWithServices(<Tracking />, {
      "GET /api/sessions/4/tracking/": () => ({ json: { state, reason: "no validation yet", limits: {}, validation: null, drift_check: null, checks: [] } }),
      "POST /api/sessions/4/tracker-checks/": (body) => {
        state = "ok";
        return { status: 201, json: check((body as { kind: string }).kind) };
      },
    });
    expect(await screen.findByText("Recalibrate: no validation yet")).toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: "Calibrate (9 points)" }));
    expect(await screen.findByRole("dialog")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("check-result")).toHaveAttribute("data-kind", "validation"), { timeout: 5000 });
    expect(screen.getByTestId("check-accuracy")).toHaveTextContent("0.04 deg");
    expect(screen.getByTestId("check-precision")).toHaveTextContent("0.031 deg");
    expect(screen.getByTestId("check-loss")).toHaveTextContent("0.0 %");
    await waitFor(() => expect(screen.getByTestId("tracking-state")).toHaveTextContent("ok"));
    const posts = calls.filter((c) => c.method === "POST").map((c) => c.body as { kind: string; stream: string; targets: Array<{ x: number; t_on_ms: number; t_off_ms: number }>; samples: { t: number[] } });
    expect(posts.map((p) => p.kind)).toEqual(["calibration", "validation"]);
    expect(posts[1].targets).toHaveLength(9);
    expect(posts[1].stream).toBe("web-test");
    const first = posts[1].targets[0];
    expect(posts[1].samples.t.some((t) => t >= first.t_on_ms && t < first.t_off_ms)).toBe(true);
    expect(screen.queryByRole("dialog")).toBeNull();
  });
});

describe("tracker quality between cases", () => {
  it("asks for the drift check the server says is due and posts one centred target", async () => {
    let state = "drift_check_due";
    const { calls } = renderWithServices(<Tracking />, {
      "GET /api/sessions/4/tracking/": () => ({ json: { state, reason: "a new case: check the drift", limits: {}, validation: null, drift_check: null, checks: [] } }),
      "POST /api/sessions/4/drift-checks/": () => {
        state = "calibration_due";
        return { status: 201, json: { id: 2, session_id: 4, kind: "drift", targets: [], accuracy_deg: 2.5, precision_rms_deg: 0.03, data_loss_pct: 0, offset_px: [90, 0], passed: false, limits: {}, created_at: "2026-01-01T00:00:00Z" } };
      },
    });
    expect(await screen.findByText("Check the drift: a new case: check the drift")).toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: "Drift check" }));
    await waitFor(() => expect(screen.getByTestId("check-result")).toHaveAttribute("data-passed", "false"), { timeout: 5000 });
    expect(screen.getByTestId("check-accuracy")).toHaveTextContent("2.50 deg");
    expect(screen.getByText("drift failed: recalibrate")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("tracking-state")).toHaveTextContent("calibration needed"));
    const body = calls.find((c) => c.method === "POST")?.body as { target: { x: number; y: number }; samples: { t: number[] } };
    expect(body.target.x).toBe(Math.round(window.innerWidth / 2));
    expect(body.samples.t.length).toBeGreaterThan(0);
  });

  it("measures the live data loss over the last 2 s of samples", () => {
    const meter = new DataLossMeter(2000);
    expect(meter.add([])).toBeNull();
    const samples = (t0: number, n: number, valid: boolean) => Array.from({ length: n }, (_, i) => ({ t: t0 + i, x: 0, y: 0, valid }));
    expect(meter.add(samples(0, 30, true))).toBe(0);
    expect(meter.add(samples(30, 10, false))).toBe(25);
    expect(meter.add(samples(5000, 4, true))).toBe(0); // the old samples left the window
  });
});

function Versions() {
  return <ReportVersions http={createHttp(globalThis.fetch)} sessionId={4} />;
}

function Results() {
  return <ResultsPanel http={createHttp(globalThis.fetch)} api={new ApiClient({ fetchImpl: globalThis.fetch })} sessionId={4} overlay={null} submitted live />;
}

function Tracking() {
  return <TrackingPanel http={createHttp(globalThis.fetch)} sessionId={4} streamId="web-test" dwellMs={5} lossPct={0} locked={false} />;
}
