import type { GazeStream, StreamStats } from "../gaze/stream";
import { TRACKERS, type TrackerKind, createTracker } from "../gaze/trackers";
import type { ClientRect, GazeSample, GazeTracker } from "../gaze/types";
import { h } from "./dom";

export interface GazePanel {
  element: HTMLElement;
  /** Stop the tracker (flushes its last samples into the stream). */
  stop(): void;
  destroy(): void;
}

const CONNECTION_TEXT: Record<string, string> = {
  idle: "not connected",
  connecting: "connecting",
  open: "connected",
  reconnecting: "reconnecting",
  closed: "closed",
};

/** Tracker choice, start/stop, and the live stream counters. */
export function gazePanel(options: {
  stream: GazeStream;
  target: () => ClientRect | null;
  initialKind: TrackerKind;
  rateHz: number;
  /** The last valid sample of each delivery (null when the tracker stops or loses the eye). */
  onSample?: (sample: GazeSample | null) => void;
  /** Every delivery of samples. */
  onSamples?: (samples: GazeSample[]) => void;
}): GazePanel {
  const { stream } = options;
  let tracker: GazeTracker | null = null;
  let unsubscribeSamples: (() => void) | null = null;
  let kind = options.initialKind;

  const select = h(
    "select",
    { "data-testid": "gaze-tracker", "aria-label": "Tracker" },
    TRACKERS.map((t) => h("option", { value: t.kind, selected: t.kind === kind }, t.label)),
  );
  const rate = h("input", { type: "number", min: 1, max: 2000, step: 1, value: options.rateHz, "data-testid": "gaze-rate", "aria-label": "Rate (Hz)" });
  const startButton = h("button", { class: "primary", "data-testid": "gaze-start" }, "Start");
  const stopButton = h("button", { "data-testid": "gaze-stop", disabled: true }, "Stop");
  const out = (testid: string) => h("output", { "data-testid": testid }, "0");
  const samples = out("gaze-samples");
  const acked = out("gaze-acked");
  const pending = out("gaze-pending");
  const views = out("gaze-views-acked");
  const connection = h("output", { "data-testid": "gaze-connection", class: "conn" }, "not connected");
  const rtt = h("output", { "data-testid": "gaze-rtt" }, "-");
  const running = h("output", { "data-testid": "gaze-running" }, "stopped");
  const error = h("p", { class: "error small", role: "status", "data-testid": "gaze-error" });

  const start = () => {
    if (tracker?.running) return;
    const hz = Math.max(1, Math.min(2000, Number(rate.value) || options.rateHz));
    tracker = createTracker(kind, options.target, hz);
    stream.setDevice(tracker.device);
    unsubscribeSamples = tracker.onSamples((batch) => {
      stream.addSamples(batch);
      options.onSamples?.(batch);
      options.onSample?.(batch[batch.length - 1]?.valid ? batch[batch.length - 1] : null);
    });
    void tracker.start();
    startButton.disabled = true;
    stopButton.disabled = false;
    select.disabled = true;
    rate.disabled = true;
    running.textContent = `recording (${tracker.name}, ${hz} Hz)`;
  };
  const stop = () => {
    if (!tracker) return;
    tracker.stop();
    unsubscribeSamples?.();
    unsubscribeSamples = null;
    tracker = null;
    stream.flush();
    options.onSample?.(null);
    startButton.disabled = false;
    stopButton.disabled = true;
    select.disabled = false;
    rate.disabled = false;
    running.textContent = "stopped";
  };
  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", stop);
  select.addEventListener("change", () => {
    kind = select.value as TrackerKind;
  });

  const render = (stats: StreamStats) => {
    samples.textContent = String(stats.samples);
    acked.textContent = String(stats.batchesAcked);
    pending.textContent = String(stats.batchesPending);
    views.textContent = `${stats.viewsAcked}${stats.viewsPending ? ` (+${stats.viewsPending})` : ""}`;
    connection.textContent = CONNECTION_TEXT[stats.connection] ?? stats.connection;
    connection.dataset.state = stats.connection;
    rtt.textContent = stats.rttMs === null ? "-" : `${stats.rttMs.toFixed(1)} ms`;
    error.textContent = stats.lastError ? `Server: ${stats.lastError}` : "";
  };
  render(stream.stats());
  const unsubscribeStats = stream.onChange(render);

  const row = (label: string, value: HTMLElement) => h("div", { class: "kv" }, h("span", {}, label), value);
  const element = h(
    "section",
    { class: "panel gaze-panel", "data-testid": "gaze-panel" },
    h("h3", {}, "Gaze"),
    h("div", { class: "row" }, h("label", {}, "Tracker ", select), h("label", {}, "Hz ", rate)),
    h("div", { class: "row" }, startButton, stopButton),
    row("State", running),
    row("Connection", connection),
    row("Samples", samples),
    row("Batches acknowledged", acked),
    row("Batches pending", pending),
    row("View events acknowledged", views),
    row("Round trip", rtt),
    h("p", { class: "muted small" }, "Calibration: not required for the simulated tracker."),
    error,
  );
  return {
    element,
    stop,
    destroy: () => {
      stop();
      unsubscribeStats();
    },
  };
}
