import type { ApiClient } from "../api/client";
import type { Prediction, Results } from "../api/types";
import { OBSERVATIONS } from "../report/observations";
import type { ViewerOverlay } from "../viewer/overlay";
import { h, mount } from "./dom";

const STATUS_TEXT: Record<string, string> = {
  pending: "Waiting for the worker...",
  running: "Detecting fixations and building the heatmap...",
  done: "Done",
  failed: "Failed",
};

/** Poll the session's results and show fixations, the gaze heatmap and the model's prediction. */
export function resultsPanel(api: ApiClient, sessionId: number | string, overlay: ViewerOverlay): {
  element: HTMLElement;
  destroy(): void;
} {
  const status = h("output", { "data-testid": "results-status", "data-status": "pending" }, STATUS_TEXT.pending);
  const fixations = h("output", { "data-testid": "fixation-count" }, "-");
  const heatmapControls = h("div", { class: "row heatmap-controls" });
  const prediction = h("div", { class: "prediction", "data-testid": "prediction-panel", "data-status": "pending" }, h("p", { class: "muted" }, "Prediction: waiting..."));
  const element = h(
    "section",
    { class: "panel results", "data-testid": "results-panel" },
    h("h3", {}, "Results"),
    h("div", { class: "kv" }, h("span", {}, "Status"), status),
    h("div", { class: "kv" }, h("span", {}, "Fixations"), fixations),
    heatmapControls,
    h("h4", {}, "Model"),
    prediction,
  );

  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let heatmapShown = false;
  let predictionShown = "";
  let delay = 750;

  const loadHeatmap = async (results: Results) => {
    if (!results.heatmap) return;
    const { url, width, height } = results.heatmap;
    await overlay.setLayer(api.resolve(url), "heatmap", { width, height });
  };

  const showHeatmap = async (results: Results) => {
    if (heatmapShown || !results.heatmap) return;
    heatmapShown = true;
    try {
      await loadHeatmap(results);
    } catch (error) {
      heatmapControls.textContent = String(error);
      return;
    }
    const opacity = h("input", { type: "range", min: 0, max: 100, value: 70, "data-testid": "heatmap-opacity", "aria-label": "Heatmap opacity" });
    opacity.addEventListener("input", () => overlay.setOpacity(Number(opacity.value) / 100));
    const toggle = h("input", { type: "checkbox", checked: true, "data-testid": "heatmap-toggle" });
    toggle.addEventListener("change", () => overlay.setVisible(toggle.checked));
    heatmapControls.append(h("label", {}, toggle, " Gaze heatmap"), h("label", {}, "Opacity ", opacity));
  };

  const showPrediction = (p: Prediction) => {
    const key = JSON.stringify(p);
    if (key === predictionShown) return;
    predictionShown = key;
    prediction.dataset.status = p.status;
    if (p.status === "no_model" || p.status === "failed" || p.status === "pending") {
      mount(prediction, h("p", { class: p.status === "failed" ? "error" : "muted", "data-testid": "prediction-message" }, p.message || p.status));
      return;
    }
    const probabilities = p.probabilities ?? {};
    const names = [...OBSERVATIONS.filter((n) => n in probabilities), ...Object.keys(probabilities).filter((n) => !(OBSERVATIONS as readonly string[]).includes(n))];
    const bars = names.map((name) => {
      const value = probabilities[name];
      return h(
        "div",
        { class: "prob-row", "data-observation": name },
        h("span", { class: "prob-name" }, name),
        h("span", { class: "prob-bar" }, h("span", { class: "prob-fill", style: `width:${(Math.max(0, Math.min(1, value)) * 100).toFixed(1)}%` })),
        h("span", { class: "prob-value" }, value.toFixed(2)),
      );
    });
    const children: HTMLElement[] = [];
    if (p.message) children.push(h("p", { class: "muted small" }, p.message));
    if (bars.length) children.push(h("div", { class: "probs" }, bars));
    if (p.findings) children.push(h("h4", {}, "Model findings"), h("p", { class: "model-findings", "data-testid": "prediction-findings" }, p.findings));
    if (p.attention_url) {
      const attention = h("input", { type: "checkbox", "data-testid": "attention-toggle" });
      attention.addEventListener("change", async () => {
        if (attention.checked) await overlay.setLayer(api.resolve(p.attention_url as string), "attention");
        else if (lastResults?.heatmap) await loadHeatmap(lastResults);
        else await overlay.setLayer(null);
      });
      children.push(h("label", {}, attention, " Show the model's attention map instead of the gaze heatmap"));
    }
    mount(prediction, children);
  };

  let lastResults: Results | null = null;
  const poll = async () => {
    if (stopped) return;
    try {
      const results = await api.results(sessionId);
      lastResults = results;
      status.dataset.status = results.status;
      status.textContent = results.status === "failed" && results.error ? `Failed: ${results.error}` : (STATUS_TEXT[results.status] ?? results.status);
      fixations.textContent = results.fixation_count === null ? "-" : String(results.fixation_count);
      if (results.status === "done") await showHeatmap(results);
      if (results.prediction) showPrediction(results.prediction);
      const finished = (results.status === "done" || results.status === "failed") && results.prediction?.status !== "pending";
      if (finished) return;
    } catch (error) {
      status.textContent = `Cannot load results (retrying): ${String((error as Error).message ?? error)}`;
    }
    delay = Math.min(3000, delay * 1.25);
    timer = setTimeout(poll, delay);
  };
  void poll();
  return {
    element,
    destroy: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
