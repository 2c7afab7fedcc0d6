/**
 * Eye-tracker quality in the reading view: the calibration source, a 9-point calibration and validation
 * screen, the drift check between cases, the server's tracking state (recalibration asked for when it
 * says so) and the live data loss. The server computes every figure (`POST .../tracker-checks/`).
 *
 * Sources: the browser simulator answers each shown target with the target plus white noise (it passes,
 * like `gaze_capture.simulate_validation`); with the bridge, the hardware tracker's samples reach the
 * server through the bridge and only the target times are sent, on this page's stream clock.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { type Http, type Schemas, unwrap } from "../api/http";
import type { GazeSample } from "../gaze/types";

type Check = Schemas["TrackerCheckOutput"];
type Target = Schemas["TargetInput"];
export type CheckSource = "simulator" | "bridge";

/** The 9 targets as fractions of the screen: a 3x3 grid at 10%, 50% and 90%. */
export const NINE_POINTS: ReadonlyArray<[number, number]> = [0.1, 0.5, 0.9].flatMap((fy) => [0.1, 0.5, 0.9].map((fx): [number, number] => [fx, fy]));

/** A standard normal draw (Box-Muller). */
function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Simulated gaze on a shown target: the target plus white noise of `sdPx`, every `stepMs` from `t0` to `t1`. */
export function simulateOnTarget(x: number, y: number, t0: number, t1: number, options: { stepMs?: number; sdPx?: number; random?: () => number } = {}): GazeSample[] {
  const step = options.stepMs ?? 8;
  const sd = options.sdPx ?? 0.5;
  const random = options.random ?? Math.random;
  const out: GazeSample[] = [];
  for (let t = t0; t < t1; t += step) out.push({ t, x: x + sd * gaussian(random), y: y + sd * gaussian(random), valid: true });
  return out;
}

export function samplesBody(samples: GazeSample[]): Schemas["SamplesInput"] {
  return { t: samples.map((s) => s.t), x: samples.map((s) => s.x), y: samples.map((s) => s.y), valid: samples.map((s) => s.valid) };
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const fmt = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? "-" : v.toFixed(digits));

export function trackingQueryKey(sessionId: number) {
  return ["tracking", sessionId] as const;
}

export function TrackingPanel(props: { http: Http; sessionId: number; streamId: string; dwellMs: number; lossPct: number | null; locked: boolean }) {
  const { http, sessionId } = props;
  const queryClient = useQueryClient();
  const tracking = useQuery({
    queryKey: trackingQueryKey(sessionId),
    queryFn: () => unwrap(http.GET("/api/sessions/{session_id}/tracking/", { params: { path: { session_id: sessionId } } })),
  });
  const [source, setSource] = useState<CheckSource>("simulator");
  const [target, setTarget] = useState<[number, number] | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState("");
  const [last, setLast] = useState<Check | null>(null);
  const dialog = useRef<HTMLDivElement>(null);

  /** Show each target for the dwell time; the simulator's samples (none with the bridge) and the targets. */
  const present = async (points: ReadonlyArray<[number, number]>) => {
    const targets: Target[] = [];
    const samples: GazeSample[] = [];
    for (const [fx, fy] of points) {
      const x = Math.round(fx * window.innerWidth);
      const y = Math.round(fy * window.innerHeight);
      setTarget([x, y]);
      const on = performance.now();
      await wait(props.dwellMs);
      const off = performance.now();
      targets.push({ x, y, t_on_ms: on, t_off_ms: off });
      if (source === "simulator") samples.push(...simulateOnTarget(x, y, on, off));
    }
    setTarget(null);
    return { targets, samples };
  };

  const run = async (label: string, steps: Array<"calibration" | "validation" | "drift">) => {
    setError("");
    setBusy(label);
    requestAnimationFrame(() => dialog.current?.focus());
    try {
      for (const kind of steps) {
        const shown = await present(kind === "drift" ? [[0.5, 0.5]] : NINE_POINTS);
        const common = { device: source === "simulator" ? "browser-simulator" : "bridge", stream: props.streamId };
        const samples = source === "simulator" ? { samples: samplesBody(shown.samples) } : {};
        const result =
          kind === "drift"
            ? await unwrap(http.POST("/api/sessions/{session_id}/drift-checks/", { params: { path: { session_id: sessionId } }, body: { ...common, target: shown.targets[0], ...samples } }))
            : await unwrap(http.POST("/api/sessions/{session_id}/tracker-checks/", { params: { path: { session_id: sessionId } }, body: { ...common, kind, targets: shown.targets, ...samples } }));
        setLast(result);
      }
    } catch (e) {
      setError(`${label} refused: ${(e as Error).message}`);
    } finally {
      setTarget(null);
      setBusy(null);
      void queryClient.invalidateQueries({ queryKey: trackingQueryKey(sessionId) });
    }
  };

  const state = tracking.data?.state;
  const shownCheck = last ?? tracking.data?.validation ?? null;
  return (
    <section className="panel tracking" data-testid="tracking-panel" aria-labelledby="tracking-title">
      <h2 id="tracking-title">Tracker quality</h2>
      <label>
        Calibration source{" "}
        <select data-testid="calibration-source" value={source} disabled={busy !== null || props.locked} onChange={(e) => setSource(e.target.value as CheckSource)}>
          <option value="simulator">Simulator (browser)</option>
          <option value="bridge">Bridge (hardware tracker)</option>
        </select>
      </label>
      <p className="muted small">A webcam tracker is an optional module loaded separately; it is not part of this build.</p>
      <div className="kv">
        <span>State</span>
        <output data-testid="tracking-state" data-state={state ?? ""}>
          {state === "ok" ? "ok" : state === "calibration_due" ? "calibration needed" : state === "drift_check_due" ? "drift check needed" : "-"}
        </output>
      </div>
      {state && state !== "ok" ? (
        <p className="warn small" data-testid="tracking-reason">
          {state === "calibration_due" ? "Recalibrate: " : "Check the drift: "}
          {tracking.data?.reason}
        </p>
      ) : null}
      <div className="row">
        <button type="button" className={state === "calibration_due" ? "primary" : ""} data-testid="calibrate" disabled={busy !== null || props.locked} onClick={() => void run("Calibration", ["calibration", "validation"])}>
          Calibrate (9 points)
        </button>
        <button type="button" className={state === "drift_check_due" ? "primary" : ""} data-testid="drift-check" disabled={busy !== null || props.locked} onClick={() => void run("Drift check", ["drift"])}>
          Drift check
        </button>
      </div>
      {shownCheck ? (
        <div data-testid="check-result" data-kind={shownCheck.kind} data-passed={String(shownCheck.passed)}>
          <div className="kv">
            <span>{shownCheck.kind === "drift" ? "Drift offset" : "Accuracy"}</span>
            <output data-testid="check-accuracy">{fmt(shownCheck.accuracy_deg)} deg</output>
          </div>
          <div className="kv">
            <span>Precision (RMS)</span>
            <output data-testid="check-precision">{fmt(shownCheck.precision_rms_deg, 3)} deg</output>
          </div>
          <div className="kv">
            <span>Data loss</span>
            <output data-testid="check-loss">{fmt(shownCheck.data_loss_pct, 1)} %</output>
          </div>
          <p className="small">{shownCheck.passed ? `${shownCheck.kind} passed` : `${shownCheck.kind} failed: recalibrate`}</p>
        </div>
      ) : null}
      <div className="kv">
        <span>Live data loss</span>
        <output data-testid="live-loss">{props.lossPct === null ? "-" : `${props.lossPct.toFixed(0)} %`}</output>
      </div>
      <p className="error small" role="alert" data-testid="tracking-error">
        {error}
      </p>
      {busy ? (
        <div className="calibration-screen" role="dialog" aria-modal="true" aria-label={`${busy}: look at each dot`} ref={dialog} tabIndex={-1} data-testid="calibration-screen">
          <p className="calibration-hint">{busy}: look at each dot until it moves.</p>
          {target ? <span className="calibration-dot" data-testid="calibration-dot" style={{ left: `${target[0]}px`, top: `${target[1]}px` }} /> : null}
        </div>
      ) : null}
    </section>
  );
}

/** The share of invalid samples among the last `windowMs` of samples (null before any). */
export class DataLossMeter {
  private samples: Array<{ t: number; valid: boolean }> = [];
  constructor(private readonly windowMs = 2000) {}

  add(batch: GazeSample[]): number | null {
    for (const s of batch) this.samples.push({ t: s.t, valid: s.valid });
    const newest = this.samples[this.samples.length - 1]?.t;
    if (newest === undefined) return null;
    this.samples = this.samples.filter((s) => s.t > newest - this.windowMs);
    const lost = this.samples.filter((s) => !s.valid).length;
    return (100 * lost) / this.samples.length;
  }
}
