/**
 * The viewer as pages see it: a small interface with no Cornerstone types, so that pages never
 * touch Cornerstone and the worklist bundle never loads it. `loadViewer()` fetches the Cornerstone
 * chunk (call it early to have it ready when a case opens); `open.ts` implements the interface.
 */
import type { ApiClient } from "../api/client";
import type { ImageMeta } from "../api/types";
import type { ViewState } from "../gaze/messages";
import type { Rect } from "./geometry";

export type LeftTool = "windowLevel" | "pan" | "zoom";

export interface ViewerOverlayHandle {
  /** Show an image-sized layer (heatmap or attention map) from a URL; null clears it. */
  setLayer(url: string | null, name?: string, size?: { width: number; height: number }): Promise<void>;
  setOpacity(opacity: number): void;
  setVisible(visible: boolean): void;
  /** The live gaze point in client px, or null. */
  setGazePoint(point: [number, number] | null): void;
  /** A coarse RGBA density grid over the image, or null. */
  setDensity(rgba: Uint8ClampedArray | null, gridW?: number, gridH?: number): void;
}

export interface ViewerHandle {
  readonly cpu: boolean;
  readonly overlay: ViewerOverlayHandle;
  /** Load and show an image (API image id); resolves with its metadata once drawn. */
  show(imageId: number): Promise<ImageMeta>;
  setTool(tool: LeftTool): void;
  readonly tool: LeftTool;
  reset(): void;
  toggleFullscreen(container: HTMLElement): Promise<void>;
  panBy(dx: number, dy: number): void;
  zoomBy(factor: number): void;
  adjustWindow(dWidth: number, dLevel: number): void;
  /** The current window width (modality units), or null before an image is shown. */
  windowWidth(): number | null;
  imageMeta(): ImageMeta | null;
  /** The last view reported (screen rect, image region, window, zoom). */
  view(): ViewState | null;
  visibleImageClientRect(): Rect | null;
  /** Listen to view changes; returns an unsubscribe function. */
  onViewChange(listener: (view: ViewState) => void): () => void;
  destroy(): void;
}

export interface ViewerModule {
  openViewer(element: HTMLDivElement, api: ApiClient, options: { useCPU: boolean }): Promise<ViewerHandle>;
  /** Fetch an image's metadata and first frame into the loader's cache (next-case prefetch). */
  prefetchImage(api: ApiClient, imageId: number): Promise<void>;
}

let loading: Promise<ViewerModule> | null = null;

/** The Cornerstone viewer module, loaded once on demand. */
export function loadViewer(): Promise<ViewerModule> {
  loading ??= import("./open");
  return loading;
}
