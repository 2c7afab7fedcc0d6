import type { ApiClient } from "../api/client";
import type { ImageMeta, ReportPayload, StartedSession } from "../api/types";
import { GazeStream, socketUrl } from "../gaze/stream";
import type { TrackerKind } from "../gaze/trackers";
import { accumulateDensity, colorizeDensity } from "../heatmap/colormap";
import { clientToImage } from "../viewer/geometry";
import { prepareImage, registerReadingRoomLoader } from "../viewer/imageLoader";
import { ViewerOverlay } from "../viewer/overlay";
import { type LeftTool, Viewer, initCornerstone } from "../viewer/viewer";
import { h, mount } from "./dom";
import { gazePanel } from "./gazePanel";
import { reportForm } from "./reportForm";
import { resultsPanel } from "./results";

export interface ReadingOptions {
  useCPU: boolean;
  trackerKind: TrackerKind;
  rateHz: number;
}

/**
 * The reading view: viewer with tools, clinical context, gaze panel and report form; after the
 * report is submitted, the results panel. Returns the element and a cleanup function.
 */
export function readingScreen(
  api: ApiClient,
  assignmentId: number,
  options: ReadingOptions,
  onBack: () => void,
): { element: HTMLElement; destroy(): void } {
  const cleanups: Array<() => void> = [];
  const status = h("p", { class: "muted", "data-testid": "reading-status" }, "Opening the case...");
  const root = h("main", { class: "reading" }, status);
  let destroyed = false;

  const open = async () => {
    const session: StartedSession = await api.startAssignment(assignmentId);
    registerReadingRoomLoader(api);
    const { cpu } = await initCornerstone(options.useCPU);
    if (destroyed) return;
    const study = session.study;

    const viewerElement = h("div", { class: "viewer", "data-testid": "viewer" }) as HTMLDivElement;
    const toolButtons = new Map<LeftTool, HTMLButtonElement>();
    const toolButton = (tool: LeftTool, label: string, key: string) => {
      const b = h("button", { "data-testid": `tool-${tool}`, title: `${label} (left drag; key ${key})` }, label);
      toolButtons.set(tool, b);
      return b;
    };
    const resetButton = h("button", { "data-testid": "viewer-reset", title: "Reset (R)" }, "Reset");
    const fullButton = h("button", { "data-testid": "viewer-fullscreen", title: "Full screen (F)" }, "Full screen");
    const windowInfo = h("span", { class: "muted small", "data-testid": "viewer-window" });
    const toolbar = h(
      "div",
      { class: "toolbar" },
      toolButton("windowLevel", "Window/level", "W"),
      toolButton("pan", "Pan", "P"),
      toolButton("zoom", "Zoom", "Z"),
      resetButton,
      fullButton,
      h("span", { class: "spacer" }),
      windowInfo,
      h("span", { class: "muted small", title: cpu ? "CPU rendering (add ?gpu=1 for WebGL)" : "WebGL rendering" }, cpu ? "CPU" : "GPU"),
    );
    const thumbs = h("div", { class: "thumbs" });
    const viewerColumn = h("section", { class: "viewer-column" }, toolbar, viewerElement, thumbs);

    const context = h(
      "section",
      { class: "panel context", "data-testid": "clinical-context" },
      h("h3", {}, study.title || `Study ${study.id}`),
      h("h4", {}, "Indication"),
      h("p", { "data-testid": "context-indication" }, study.indication || "-"),
      h("h4", {}, "History"),
      h("p", { "data-testid": "context-history" }, study.history || "-"),
    );
    const back = h("button", { class: "link", onclick: () => onBack() }, "< Worklist");
    const side = h("aside", { class: "side" }, back, context);
    const right = h("aside", { class: "right" });
    mount(root, side, viewerColumn, right);

    const viewer = new Viewer(viewerElement);
    cleanups.push(() => viewer.destroy());
    const overlay = new ViewerOverlay(viewer);
    cleanups.push(() => overlay.destroy());

    const setTool = (tool: LeftTool) => {
      viewer.setLeftTool(tool);
      for (const [t, b] of toolButtons) b.classList.toggle("active", t === tool);
    };
    for (const [tool, b] of toolButtons) b.addEventListener("click", () => setTool(tool));
    setTool("windowLevel");
    resetButton.addEventListener("click", () => viewer.reset());
    fullButton.addEventListener("click", () => void viewer.toggleFullscreen(viewerColumn));
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
      const key = event.key.toLowerCase();
      if (key === "w") setTool("windowLevel");
      else if (key === "p") setTool("pan");
      else if (key === "z") setTool("zoom");
      else if (key === "r") viewer.reset();
      else if (key === "f") void viewer.toggleFullscreen(viewerColumn);
    };
    window.addEventListener("keydown", onKey);
    cleanups.push(() => window.removeEventListener("keydown", onKey));

    const stream = new GazeStream({ url: socketUrl(session.ws_path, window.location), device: "browser-simulator" });
    viewer.onViewChange((view) => {
      stream.sendView(view);
      windowInfo.textContent = `W ${Math.round(view.window_width)} / L ${Math.round(view.window_level)}  zoom ${view.zoom.toFixed(2)}`;
    });
    stream.connect();
    cleanups.push(() => stream.close());

    const gaze = gazePanel({
      stream,
      target: () => viewer.visibleImageClientRect(),
      initialKind: options.trackerKind,
      rateHz: options.rateHz,
      onSample: (sample) => {
        if (showGaze.checked) overlay.setGazePoint(sample ? [sample.x, sample.y] : null);
      },
      onSamples: (samples) => {
        const view = viewer.view;
        if (!view) return;
        for (const s of samples) {
          if (!s.valid) continue;
          livePoints.push([view.image_id, ...clientToImage(view, s.x, s.y)]);
        }
        if (livePoints.length > 60_000) livePoints.splice(0, livePoints.length - 60_000);
      },
    });
    // Live gaze density (off by default: showing readers their own gaze can change how they read).
    const livePoints: Array<[number, number, number]> = [];
    const showDensity = h("input", { type: "checkbox", "data-testid": "gaze-show-density" });
    const drawDensity = () => {
      const meta = viewer.imageMeta;
      if (!showDensity.checked || !meta) return;
      const gridW = 64;
      const gridH = Math.max(1, Math.round((64 * meta.rows) / meta.columns));
      const points = livePoints.filter((p) => p[0] === meta.id).map((p): [number, number] => [p[1], p[2]]);
      overlay.setDensity(colorizeDensity(accumulateDensity(points, meta.columns, meta.rows, gridW, gridH), 150), gridW, gridH);
    };
    const densityTimer = setInterval(drawDensity, 500);
    cleanups.push(() => clearInterval(densityTimer));
    showDensity.addEventListener("change", () => (showDensity.checked ? drawDensity() : overlay.setDensity(null)));
    const showGaze = h("input", { type: "checkbox", "data-testid": "gaze-show-point" });
    showGaze.addEventListener("change", () => {
      if (!showGaze.checked) overlay.setGazePoint(null);
    });
    gaze.element.append(
      h("label", { class: "small" }, showGaze, " Show the gaze point"),
      h("label", { class: "small" }, showDensity, " Show live gaze density"),
    );
    side.append(gaze.element);
    cleanups.push(() => gaze.destroy());

    const beforeUnload = (event: BeforeUnloadEvent) => {
      if (!stream.drained) event.preventDefault();
    };
    window.addEventListener("beforeunload", beforeUnload);
    cleanups.push(() => window.removeEventListener("beforeunload", beforeUnload));

    const showImage = async (imageId: number) => {
      const { csImageId, meta } = await prepareImage(api, imageId);
      await viewer.show(csImageId, meta);
      viewer.reset();
      for (const t of thumbs.querySelectorAll("button")) t.classList.toggle("active", t.dataset.image === String(imageId));
      return meta;
    };
    if (study.image_ids.length === 0) throw new Error("this study has no images");
    if (study.image_ids.length > 1) {
      for (const id of study.image_ids) {
        const b = h("button", { class: "thumb", "data-image": id, title: `Image ${id}` }, `Image ${id}`);
        b.addEventListener("click", () => void showImage(id));
        thumbs.append(b);
        void api.image(id).then((meta: ImageMeta) => {
          mount(b, h("img", { src: api.resolve(meta.display_url), alt: `Image ${id} (${meta.view_position || "view"})` }));
        });
      }
    }

    const submit = async (report: ReportPayload) => {
      gaze.stop();
      // The server closes the session on submit and refuses later gaze: wait for every ack first.
      const drained = await stream.drain(15000);
      await api.submitReport(session.session_id, report);
      // The session is closed on the server now: stop streaming (later view changes would be refused).
      if (drained) stream.close();
      for (const control of gaze.element.querySelectorAll<HTMLButtonElement | HTMLInputElement | HTMLSelectElement>(
        "button, input, select",
      )) {
        if (!control.matches('[data-testid="gaze-show-point"], [data-testid="gaze-show-density"]')) control.disabled = true;
      }
      if (!drained) {
        right.prepend(h("p", { class: "error small" }, "Some gaze batches were not acknowledged before the report was sent; they will still be resent."));
      }
      const results = resultsPanel(api, session.session_id, overlay);
      cleanups.push(() => results.destroy());
      right.prepend(results.element);
      right.scrollTop = 0;
    };
    right.append(reportForm(submit));
    await showImage(study.image_ids[0]);
  };

  open().catch((error) => {
    if (destroyed) return;
    mount(
      root,
      h("div", { class: "panel" }, h("p", { class: "error", role: "alert" }, `Cannot open the case: ${String(error?.message ?? error)}`), h("button", { onclick: () => onBack() }, "Back to the worklist")),
    );
  });

  return {
    element: root,
    destroy: () => {
      destroyed = true;
      for (const cleanup of cleanups.reverse()) {
        try {
          cleanup();
        } catch (error) {
          console.warn("cleanup failed", error);
        }
      }
    },
  };
}
