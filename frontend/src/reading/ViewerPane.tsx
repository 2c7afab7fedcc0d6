/**
 * The viewer column: toolbar, the viewer (through {@link ViewerHandle}), thumbnails. Keyboard: W/P/Z
 * choose what a left drag does, arrows act by it (window, pan, zoom), +/- zoom, R resets, F full
 * screen; only without modifier keys and never while typing (see viewer/keys.ts).
 */
import { useEffect, useRef, useState } from "react";
import type { Schemas } from "../api/http";
import { useServices } from "../app/context";
import type { ViewState } from "../gaze/messages";
import { type LeftTool, type ViewerHandle, loadViewer } from "../viewer/handle";
import { viewerKeyAction } from "../viewer/keys";

type Study = Schemas["StudyOutput"];

const TOOLS: Array<{ tool: LeftTool; label: string; key: string }> = [
  { tool: "windowLevel", label: "Window/level", key: "W" },
  { tool: "pan", label: "Pan", key: "P" },
  { tool: "zoom", label: "Zoom", key: "Z" },
];

export function ViewerPane(props: {
  study: Study;
  onReady: (viewer: ViewerHandle | null) => void;
  onView: (view: ViewState) => void;
  /** Called once, when the first image is on screen (after the mark `rr:first-image`). */
  onFirstImage?: () => void;
}) {
  const { api, options } = useServices();
  const column = useRef<HTMLElement>(null);
  const element = useRef<HTMLDivElement>(null);
  const [viewer, setViewer] = useState<ViewerHandle | null>(null);
  const [tool, setTool] = useState<LeftTool>("windowLevel");
  const [imageId, setImageId] = useState<number | null>(props.study.image_ids[0] ?? null);
  const [info, setInfo] = useState("");
  const [error, setError] = useState("");
  const latest = useRef(props);
  latest.current = props;
  const firstShown = useRef(false);

  useEffect(() => {
    let handle: ViewerHandle | null = null;
    let cancelled = false;
    loadViewer()
      .then((module) => module.openViewer(element.current as HTMLDivElement, api, { useCPU: options.useCPU }))
      .then((opened) => {
        if (cancelled) return opened.destroy();
        handle = opened;
        opened.onViewChange((view) => {
          latest.current.onView(view);
          setInfo(`W ${Math.round(view.window_width)} / L ${Math.round(view.window_level)}  zoom ${view.zoom.toFixed(2)}`);
        });
        setViewer(opened);
        latest.current.onReady(opened);
      })
      .catch((e) => setError(String(e?.message ?? e)));
    return () => {
      cancelled = true;
      latest.current.onReady(null);
      handle?.destroy();
    };
  }, [api, options.useCPU]);

  useEffect(() => {
    if (!viewer || imageId === null) return;
    viewer
      .show(imageId)
      .then(() => {
        if (!firstShown.current) {
          firstShown.current = true;
          performance.mark("rr:first-image", { detail: { imageId } });
          latest.current.onFirstImage?.();
        }
        // Opening a case puts the focus on the image, where the keyboard shortcuts act.
        if (!document.activeElement || document.activeElement === document.body || document.activeElement.tagName === "H1") element.current?.focus();
      })
      .catch((e) => setError(`Cannot show image ${imageId}: ${String(e?.message ?? e)}`));
  }, [viewer, imageId]);

  useEffect(() => viewer?.setTool(tool), [viewer, tool]);

  useEffect(() => {
    if (!viewer) return;
    const onKey = (event: KeyboardEvent) => {
      const action = viewerKeyAction(event, viewer.tool, Math.max(1, (viewer.windowWidth() ?? 100) * 0.05));
      if (!action) return;
      event.preventDefault();
      switch (action.kind) {
        case "tool":
          return setTool(action.tool);
        case "reset":
          return viewer.reset();
        case "fullscreen":
          return void viewer.toggleFullscreen(column.current as HTMLElement);
        case "zoom":
          return viewer.zoomBy(action.factor);
        case "pan":
          return viewer.panBy(action.dx, action.dy);
        case "window":
          return viewer.adjustWindow(action.dWidth, action.dLevel);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [viewer]);

  const ids = props.study.image_ids;
  return (
    <section className="viewer-column" ref={column} aria-label="Image viewer">
      <div className="toolbar" role="toolbar" aria-label="Viewer tools">
        {TOOLS.map((t) => (
          <button key={t.tool} type="button" data-testid={`tool-${t.tool}`} className={tool === t.tool ? "active" : ""} aria-pressed={tool === t.tool} title={`${t.label}: left drag, or the arrow keys (key ${t.key})`} onClick={() => setTool(t.tool)}>
            {t.label}
          </button>
        ))}
        <button type="button" data-testid="viewer-reset" title="Reset (R)" onClick={() => viewer?.reset()}>
          Reset
        </button>
        <button type="button" data-testid="viewer-fullscreen" title="Full screen (F)" onClick={() => void viewer?.toggleFullscreen(column.current as HTMLElement)}>
          Full screen
        </button>
        <span className="spacer" />
        <span className="muted small" data-testid="viewer-window" aria-live="off">
          {info}
        </span>
        {viewer ? (
          <span className="muted small" title={viewer.cpu ? "CPU rendering (add ?gpu=1 for WebGL)" : "WebGL rendering"}>
            {viewer.cpu ? "CPU" : "GPU"}
          </span>
        ) : null}
      </div>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <div
        className="viewer"
        data-testid="viewer"
        ref={element}
        tabIndex={0}
        role="img"
        aria-label="Radiograph. Keys: W, P, Z choose window/level, pan or zoom; arrow keys adjust; plus and minus zoom; R resets; F full screen."
      />
      {ids.length > 1 ? (
        <div className="thumbs">
          {ids.map((id) => (
            <button key={id} type="button" className={`thumb ${id === imageId ? "active" : ""}`} data-image={id} onClick={() => setImageId(id)}>
              <img src={`/api/images/${id}/thumbnail.png`} alt={`Image ${id}`} />
            </button>
          ))}
        </div>
      ) : null}
    </section>
  );
}
