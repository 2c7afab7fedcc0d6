/** The session's results after submit: worker status, fixations, the gaze heatmap and the model's prediction. */
import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import type { ApiClient } from "../api/client";
import { type Http, type Schemas, unwrap } from "../api/http";
import { OBSERVATIONS } from "../report/observations";
import type { ViewerOverlayHandle } from "../viewer/handle";

type Results = Schemas["ResultsOutput"];

const STATUS_TEXT: Record<string, string> = {
  pending: "Waiting for the worker...",
  running: "Detecting fixations and building the heatmap...",
  done: "Done",
  failed: "Failed",
};

export function resultsFinished(results: Results | undefined): boolean {
  if (!results) return false;
  return (results.status === "done" || results.status === "failed") && results.prediction?.status !== "pending";
}

export function ResultsPanel(props: { http: Http; api: ApiClient; sessionId: number; overlay: ViewerOverlayHandle | null }) {
  const { http, api, sessionId, overlay } = props;
  const results = useQuery({
    queryKey: ["results", sessionId],
    queryFn: () => unwrap(http.GET("/api/sessions/{session_id}/results/", { params: { path: { session_id: sessionId } } })),
    refetchInterval: (query) => (resultsFinished(query.state.data) ? false : 1000),
  });
  const data = results.data;
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const [layer, setLayer] = useState<"heatmap" | "attention" | "none">("none");
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
  const names = [...OBSERVATIONS.filter((n) => n in probabilities), ...Object.keys(probabilities).filter((n) => !(OBSERVATIONS as readonly string[]).includes(n))];
  return (
    <div className="prediction" data-testid="prediction-panel" data-status={p.status}>
      {p.message ? <p className="muted small">{p.message}</p> : null}
      {names.length ? (
        <div className="probs">
          {names.map((name) => (
            <div className="prob-row" key={name} data-observation={name}>
              <span className="prob-name">{name}</span>
              <span className="prob-bar">
                <span className="prob-fill" style={{ width: `${(Math.max(0, Math.min(1, probabilities[name])) * 100).toFixed(1)}%` }} />
              </span>
              <span className="prob-value">{probabilities[name].toFixed(2)}</span>
            </div>
          ))}
        </div>
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
