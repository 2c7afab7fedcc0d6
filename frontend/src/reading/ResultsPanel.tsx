/**
 * The session's results: worker status, fixations, the gaze heatmap and the model's prediction beside the
 * reader's labels (agreement per observation). Loaded once; afterwards the server's pushed `results`
 * messages update the query cache (see {@link resultsQueryKey}): no polling. The overlay shows either the
 * gaze heatmap or the attention map (toggled), never the live density grid with them.
 */
import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import type { ApiClient } from "../api/client";
import { type Http, type Schemas, unwrap } from "../api/http";
import { OBSERVATIONS } from "../report/observations";
import type { ViewerOverlayHandle } from "../viewer/handle";

type Results = Schemas["ResultsOutput"];

const STATUS_TEXT: Record<string, string> = {
  not_submitted: "The gaze analysis starts when the report is submitted.",
  pending: "Waiting for the worker...",
  running: "Detecting fixations and building the heatmap...",
  done: "Done",
  failed: "Failed",
};

export function resultsFinished(results: Results | undefined): boolean {
  if (!results) return false;
  return (results.status === "done" || results.status === "failed") && results.prediction?.status !== "pending";
}

export function resultsQueryKey(sessionId: number) {
  return ["results", sessionId] as const;
}

export type OverlayLayer = "heatmap" | "attention" | "none";

export function ResultsPanel(props: {
  http: Http;
  api: ApiClient;
  sessionId: number;
  overlay: ViewerOverlayHandle | null;
  /** The report is submitted: the heading takes the focus then. */
  submitted: boolean;
  /** The layer the overlay shows (the page keeps the live density grid off while one is shown). */
  onLayer?: (layer: OverlayLayer) => void;
  /**
   * The page's socket is open, so changes are pushed. The results are first fetched once it is open (the
   * server pushes what changes from then on); after a reconnect they are fetched once more. A socket that
   * stays down 5 s falls back to fetching every 3 s.
   */
  live: boolean;
}) {
  const { http, api, sessionId, overlay } = props;
  const [fallback, setFallback] = useState(false);
  const results = useQuery({
    queryKey: resultsQueryKey(sessionId),
    queryFn: () => unwrap(http.GET("/api/sessions/{session_id}/results/", { params: { path: { session_id: sessionId } } })),
    staleTime: Infinity,
    refetchOnWindowFocus: false,
    enabled: props.live || fallback,
    refetchInterval: (query) => (props.live || resultsFinished(query.state.data) ? false : 3000),
  });
  useEffect(() => {
    if (props.live) return;
    const timer = setTimeout(() => setFallback(true), 5000);
    return () => clearTimeout(timer);
  }, [props.live]);
  const wasLive = useRef(props.live);
  useEffect(() => {
    // A reconnect: what changed while the socket was down was not pushed.
    if (props.live && !wasLive.current && results.data !== undefined) void results.refetch();
    wasLive.current = props.live;
  }, [props.live]); // eslint-disable-line react-hooks/exhaustive-deps
  const data = results.data;
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (props.submitted) heading.current?.focus();
  }, [props.submitted]);
  const [layer, setLayer] = useState<OverlayLayer>("none");
  const onLayer = props.onLayer;
  useEffect(() => onLayer?.(layer), [layer, onLayer]);
  const [opacity, setOpacity] = useState(70);
  const [visible, setVisible] = useState(true);
  const heatmap = data?.status === "done" ? data.heatmap : null;
  const attentionUrl = data?.prediction?.attention_url ?? null;

  useEffect(() => {
    if (!overlay) return;
    if (layer === "attention" && attentionUrl) void overlay.setLayer(api.resolve(attentionUrl), "attention");
    else if (heatmap) void overlay.setLayer(api.resolve(heatmap.url), "heatmap", { width: heatmap.width, height: heatmap.height });
  }, [overlay, layer, heatmap?.url, attentionUrl]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (heatmap && layer === "none") setLayer("heatmap");
  }, [heatmap, layer]);
  useEffect(() => overlay?.setOpacity(opacity / 100), [overlay, opacity]);
  useEffect(() => overlay?.setVisible(visible), [overlay, visible]);

  const status = data?.status ?? "pending";
  const statusText = results.error
    ? `Cannot load results (retrying): ${String((results.error as Error).message ?? results.error)}`
    : status === "failed" && data?.error
      ? `Failed: ${data.error}`
      : (STATUS_TEXT[status] ?? status);
  return (
    <section className="panel results" data-testid="results-panel" aria-labelledby="results-title">
      <h2 id="results-title" ref={heading} tabIndex={-1}>
        Results
      </h2>
      <div className="kv">
        <span>Status</span>
        <output data-testid="results-status" data-status={status}>
          {statusText}
        </output>
      </div>
      <div className="kv">
        <span>Fixations</span>
        <output data-testid="fixation-count">{data?.fixation_count ?? "-"}</output>
      </div>
      {heatmap ? (
        <div className="row heatmap-controls">
          <label>
            <input type="checkbox" data-testid="heatmap-toggle" checked={visible} onChange={(e) => setVisible(e.target.checked)} /> Show the overlay
          </label>
          <label>
            Opacity <input type="range" min={0} max={100} value={opacity} data-testid="heatmap-opacity" onChange={(e) => setOpacity(Number(e.target.value))} />
          </label>
        </div>
      ) : null}
      <h3>Model</h3>
      <Prediction prediction={data?.prediction} attention={layer === "attention"} onAttention={(on) => setLayer(on ? "attention" : heatmap ? "heatmap" : "none")} />
    </section>
  );
}

const READER_TEXT: Record<string, string> = { present: "present", absent: "absent", uncertain: "uncertain", not_mentioned: "not mentioned" };

function Prediction(props: { prediction: Results["prediction"] | undefined; attention: boolean; onAttention: (on: boolean) => void }) {
  const p = props.prediction;
  if (!p) {
    return (
      <div className="prediction" data-testid="prediction-panel" data-status="pending">
        <p className="muted">Prediction: waiting...</p>
      </div>
    );
  }
  if (p.status !== "done") {
    return (
      <div className="prediction" data-testid="prediction-panel" data-status={p.status}>
        <p className={p.status === "failed" ? "error" : "muted"} data-testid="prediction-message">
          {p.message || p.status}
        </p>
      </div>
    );
  }
  const probabilities = (p.probabilities ?? {}) as Record<string, number>;
  const agreement = new Map((p.agreement?.observations ?? []).map((o) => [o.observation, o]));
  const names = [...OBSERVATIONS.filter((n) => n in probabilities), ...Object.keys(probabilities).filter((n) => !(OBSERVATIONS as readonly string[]).includes(n))];
  return (
    <div className="prediction" data-testid="prediction-panel" data-status={p.status}>
      {p.message ? <p className="muted small">{p.message}</p> : null}
      {p.agreement ? (
        <p className="small" data-testid="agreement-summary">
          Agreement: {p.agreement.agree} of {p.agreement.compared} observations you mentioned
          {p.agreement.disagreements.length ? ` (differs on ${p.agreement.disagreements.join(", ")})` : ""}
        </p>
      ) : null}
      {names.length ? (
        <table className="probs" data-testid="prediction-table">
          <caption className="visually-hidden">Model probability and your label per observation</caption>
          <thead>
            <tr>
              <th scope="col">Observation</th>
              <th scope="col">Model</th>
              <th scope="col">You</th>
              <th scope="col">Agree</th>
            </tr>
          </thead>
          <tbody>
            {names.map((name) => {
              const a = agreement.get(name);
              const agreeText = !a || a.agree === null ? "-" : a.agree ? "yes" : "no";
              return (
                <tr className="prob-row" key={name} data-observation={name} data-agree={a?.agree === null || !a ? "" : String(a.agree)}>
                  <th scope="row" className="prob-name">{name}</th>
                  <td>
                    <span className="prob-bar" aria-hidden="true">
                      <span className="prob-fill" style={{ width: `${(Math.max(0, Math.min(1, probabilities[name])) * 100).toFixed(1)}%` }} />
                    </span>{" "}
                    <span className="prob-value">{probabilities[name].toFixed(2)}</span>
                  </td>
                  <td>{a ? (READER_TEXT[a.reader] ?? a.reader) : "-"}</td>
                  <td className={a?.agree === false ? "disagree" : ""}>{agreeText}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      {p.findings ? (
        <>
          <h3>Model findings</h3>
          <p className="model-findings" data-testid="prediction-findings">
            {p.findings}
          </p>
        </>
      ) : null}
      {p.attention_url ? (
        <label>
          <input type="checkbox" data-testid="attention-toggle" checked={props.attention} onChange={(e) => props.onAttention(e.target.checked)} /> Show the model's attention map instead of the gaze heatmap
        </label>
      ) : null}
    </div>
  );
}
