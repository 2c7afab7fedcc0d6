/** Tracker choice, start/stop and the live stream counters (the gaze code stays in src/gaze). */
import { type MutableRefObject, useEffect, useRef, useState } from "react";
import type { GazeStream, StreamStats } from "../gaze/stream";
import { TRACKERS, type TrackerKind, createTracker } from "../gaze/trackers";
import type { ClientRect, GazeSample, GazeTracker } from "../gaze/types";

const CONNECTION_TEXT: Record<string, string> = {
  idle: "not connected",
  connecting: "connecting",
  open: "connected",
  reconnecting: "reconnecting",
  closed: "closed",
};

export function useStreamStats(stream: GazeStream): StreamStats {
  const [stats, setStats] = useState(() => stream.stats());
  useEffect(() => stream.onChange(setStats), [stream]);
  return stats;
}

export function GazePanel(props: {
  stream: GazeStream;
  target: () => ClientRect | null;
  initialKind: TrackerKind;
  rateHz: number;
  /** Every delivery of samples. */
  onSamples?: (samples: GazeSample[]) => void;
  /** Set to a function that stops the tracker (the page calls it before submitting). */
  stopRef: MutableRefObject<() => void>;
  locked: boolean;
  children?: React.ReactNode;
}) {
  const { stream } = props;
  const stats = useStreamStats(stream);
  const [kind, setKind] = useState<TrackerKind>(props.initialKind);
  const [rate, setRate] = useState(String(props.rateHz));
  const [running, setRunning] = useState<string | null>(null);
  const tracker = useRef<{ tracker: GazeTracker; unsubscribe: () => void } | null>(null);
  const latest = useRef(props);
  latest.current = props;

  const stop = () => {
    const current = tracker.current;
    if (!current) return;
    current.tracker.stop();
    current.unsubscribe();
    tracker.current = null;
    stream.flush();
    setRunning(null);
  };
  props.stopRef.current = stop;
  useEffect(() => () => stop(), []); // eslint-disable-line react-hooks/exhaustive-deps

  const start = () => {
    if (tracker.current) return;
    const hz = Math.max(1, Math.min(2000, Number(rate) || props.rateHz));
    const created = createTracker(kind, () => latest.current.target(), hz);
    stream.setDevice(created.device);
    const unsubscribe = created.onSamples((batch) => {
      stream.addSamples(batch);
      latest.current.onSamples?.(batch);
    });
    tracker.current = { tracker: created, unsubscribe };
    void created.start();
    setRunning(`recording (${created.name}, ${hz} Hz)`);
  };

  const busy = running !== null;
  const row = (label: string, value: React.ReactNode) => (
    <div className="kv">
      <span>{label}</span>
      {value}
    </div>
  );
  return (
    <section className="panel gaze-panel" data-testid="gaze-panel" aria-labelledby="gaze-title">
      <h2 id="gaze-title">Gaze</h2>
      <div className="row">
        <label>
          Tracker{" "}
          <select data-testid="gaze-tracker" value={kind} disabled={busy || props.locked} onChange={(e) => setKind(e.target.value as TrackerKind)}>
            {TRACKERS.map((t) => (
              <option key={t.kind} value={t.kind}>
                {t.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Rate (Hz){" "}
          <input type="number" min={1} max={2000} step={1} data-testid="gaze-rate" value={rate} disabled={busy || props.locked} onChange={(e) => setRate(e.target.value)} />
        </label>
      </div>
      <div className="row">
        <button type="button" className="primary" data-testid="gaze-start" disabled={busy || props.locked} onClick={start}>
          Start
        </button>
        <button type="button" data-testid="gaze-stop" disabled={!busy || props.locked} onClick={stop}>
          Stop
        </button>
      </div>
      {row("State", <output data-testid="gaze-running">{running ?? "stopped"}</output>)}
      {row(
        "Connection",
        <output data-testid="gaze-connection" className="conn" data-state={stats.connection}>
          {CONNECTION_TEXT[stats.connection] ?? stats.connection}
        </output>,
      )}
      {row("Samples", <output data-testid="gaze-samples">{stats.samples}</output>)}
      {row("Batches acknowledged", <output data-testid="gaze-acked">{stats.batchesAcked}</output>)}
      {row("Batches pending", <output data-testid="gaze-pending">{stats.batchesPending}</output>)}
      {row(
        "View events acknowledged",
        <output data-testid="gaze-views-acked">
          {stats.viewsAcked}
          {stats.viewsPending ? ` (+${stats.viewsPending})` : ""}
        </output>,
      )}
      {row("Round trip", <output data-testid="gaze-rtt">{stats.rttMs === null ? "-" : `${stats.rttMs.toFixed(1)} ms`}</output>)}
      <p className="error small" role="status" data-testid="gaze-error">
        {stats.lastError ? `Server: ${stats.lastError}` : ""}
      </p>
      {props.children}
    </section>
  );
}
