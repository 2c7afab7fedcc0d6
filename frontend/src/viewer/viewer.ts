/**
 * The Cornerstone3D stack viewer: one image, window/level (left drag by default), pan (middle or
 * right drag, or the left button in pan mode), zoom (wheel, towards the pointer), reset and full
 * screen; reports every change of what is on screen as a {@link ViewState}.
 */
import {
  Enums,
  RenderingEngine,
  getShouldUseCPURendering,
  init as initCore,
  isCornerstoneInitialized,
  setUseCPURendering,
} from "@cornerstonejs/core";
import type { Types } from "@cornerstonejs/core";
import {
  Enums as ToolEnums,
  PanTool,
  ToolGroupManager,
  WindowLevelTool,
  ZoomTool,
  addTool,
  init as initTools,
} from "@cornerstonejs/tools";
import type { ImageMeta } from "../api/types";
import type { ViewState } from "../gaze/messages";
import {
  type Rect,
  type Vec2,
  displayScale,
  imageRegion,
  imageToCanvasTransform,
  imageToWorld,
  viewsDiffer,
  visibleImageRect,
  voiToWindow,
  windowToVoi,
  worldToImage,
} from "./geometry";
import { PIXEL_PLANE } from "./imageLoader";

let toolsReady = false;

/** True when this browser can give us a WebGL2 context (headless Chromium often cannot). */
export function webglAvailable(): boolean {
  try {
    const canvas = document.createElement("canvas");
    return !!canvas.getContext("webgl2");
  } catch {
    return false;
  }
}

/**
 * Initialise Cornerstone core and tools once. CPU rendering is used when `useCPU` is true or
 * WebGL is not available.
 */
export async function initCornerstone(useCPU: boolean): Promise<{ cpu: boolean }> {
  const cpu = useCPU || !webglAvailable();
  if (!isCornerstoneInitialized()) {
    initCore({ rendering: { useCPURendering: cpu } } as Parameters<typeof initCore>[0]);
  }
  setUseCPURendering(cpu);
  if (!toolsReady) {
    initTools();
    addTool(WindowLevelTool);
    addTool(PanTool);
    addTool(ZoomTool);
    toolsReady = true;
  }
  return { cpu: getShouldUseCPURendering() };
}

export type LeftTool = "windowLevel" | "pan" | "zoom";

const TOOL_NAMES: Record<LeftTool, string> = {
  windowLevel: WindowLevelTool.toolName,
  pan: PanTool.toolName,
  zoom: ZoomTool.toolName,
};

let counter = 0;

export class Viewer {
  readonly element: HTMLDivElement;
  private readonly engine: RenderingEngine;
  private readonly viewportId: string;
  private readonly toolGroupId: string;
  private imageNumber: number | null = null;
  private meta: ImageMeta | null = null;
  private lastView: ViewState | null = null;
  private readonly listeners = new Set<(view: ViewState) => void>();
  private readonly renderListeners = new Set<() => void>();
  private readonly resizeObserver: ResizeObserver;
  private leftTool: LeftTool = "windowLevel";
  private readonly onRendered = () => {
    for (const listener of this.renderListeners) listener();
    this.checkView();
  };
  private readonly onScroll = () => this.checkView();
  private readonly onWheel = (event: WheelEvent) => this.wheelZoom(event);
  private readonly onContextMenu = (event: Event) => event.preventDefault();

  constructor(element: HTMLDivElement) {
    counter += 1;
    this.element = element;
    this.viewportId = `rr-viewport-${counter}`;
    this.toolGroupId = `rr-tools-${counter}`;
    this.engine = new RenderingEngine(`rr-engine-${counter}`);
    this.engine.enableElement({
      viewportId: this.viewportId,
      type: Enums.ViewportType.STACK,
      element,
      defaultOptions: { background: [0, 0, 0] as Types.Point3 },
    });
    const group = ToolGroupManager.createToolGroup(this.toolGroupId);
    if (!group) throw new Error(`tool group ${this.toolGroupId} exists already`);
    group.addTool(WindowLevelTool.toolName);
    group.addTool(PanTool.toolName);
    group.addTool(ZoomTool.toolName);
    group.addViewport(this.viewportId, this.engine.id);
    this.applyTools();
    if (getShouldUseCPURendering()) this.drawAtDeviceResolution();
    element.addEventListener(Enums.Events.IMAGE_RENDERED, this.onRendered);
    element.addEventListener("wheel", this.onWheel, { passive: false });
    element.addEventListener("contextmenu", this.onContextMenu);
    window.addEventListener("scroll", this.onScroll, true);
    this.resizeObserver = new ResizeObserver(() => {
      this.engine.resize(true, true);
      this.checkView();
    });
    this.resizeObserver.observe(element);
    this.watchPixelRatio();
  }

  /**
   * Cornerstone's CPU renderer sizes its canvas in CSS px (`canvas.width = canvas.clientWidth`) but
   * converts canvas points as if the canvas were in device px (CSS px x devicePixelRatio). At a ratio
   * other than 1 the view region, the zoom and every gaze mapping came out scaled by the ratio, and the
   * image was drawn at CSS resolution. Reporting the canvas' client size in device px makes the renderer
   * size and fit its canvas at device resolution, which is what its conversions expect.
   */
  private drawAtDeviceResolution(): void {
    const canvas = this.canvas;
    const css = {
      width: Object.getOwnPropertyDescriptor(Element.prototype, "clientWidth")?.get,
      height: Object.getOwnPropertyDescriptor(Element.prototype, "clientHeight")?.get,
    };
    if (!css.width || !css.height) return;
    const cssWidth = css.width;
    const cssHeight = css.height;
    Object.defineProperty(canvas, "clientWidth", {
      configurable: true,
      get: () => Math.round(cssWidth.call(canvas) * (window.devicePixelRatio || 1)),
    });
    Object.defineProperty(canvas, "clientHeight", {
      configurable: true,
      get: () => Math.round(cssHeight.call(canvas) * (window.devicePixelRatio || 1)),
    });
    this.engine.resize(true, true);
  }

  /**
   * Browser zoom and moving the window to another screen change the ratio: resize for it. Both a
   * resolution media query and the window's resize event are watched (not every way of changing the
   * ratio fires both).
   */
  private watchPixelRatio(): void {
    let ratio = window.devicePixelRatio || 1;
    let query: MediaQueryList | null = null;
    const check = () => {
      const now = window.devicePixelRatio || 1;
      if (this.destroyed || now === ratio) return;
      ratio = now;
      this.engine.resize(true, false);
      this.checkView();
      watchQuery();
    };
    const watchQuery = () => {
      query?.removeEventListener("change", check);
      query = typeof window.matchMedia === "function" ? window.matchMedia(`(resolution: ${ratio}dppx)`) : null;
      query?.addEventListener("change", check);
    };
    watchQuery();
    window.addEventListener("resize", check);
    this.stopWatchingRatio = () => {
      query?.removeEventListener("change", check);
      window.removeEventListener("resize", check);
    };
  }

  private destroyed = false;
  private stopWatchingRatio: () => void = () => undefined;

  get viewport(): Types.IStackViewport {
    return this.engine.getViewport(this.viewportId) as Types.IStackViewport;
  }

  /** Whether Cornerstone renders on the CPU (its world origin is then a pixel corner). */
  get cpu(): boolean {
    return getShouldUseCPURendering();
  }

  get imageMeta(): ImageMeta | null {
    return this.meta;
  }

  /** Show one image (Cornerstone image id from `prepareImage`). */
  async show(csImageId: string, meta: ImageMeta): Promise<void> {
    this.meta = null;
    this.imageNumber = null;
    await this.viewport.setStack([csImageId], 0);
    // Only now does the viewport hold the image: before, its transforms would refer to the old one.
    this.meta = meta;
    this.imageNumber = meta.id;
    this.viewport.render();
  }

  /** Choose what the left mouse button does; middle and right always pan, the wheel zooms. */
  setLeftTool(tool: LeftTool): void {
    this.leftTool = tool;
    this.applyTools();
  }

  get currentLeftTool(): LeftTool {
    return this.leftTool;
  }

  private applyTools(): void {
    const group = ToolGroupManager.getToolGroup(this.toolGroupId);
    if (!group) return;
    for (const name of Object.values(TOOL_NAMES)) group.setToolPassive(name);
    const left = TOOL_NAMES[this.leftTool];
    const bindings = (tool: string) => {
      const out: Array<{ mouseButton: number }> = [];
      if (tool === left) out.push({ mouseButton: ToolEnums.MouseBindings.Primary });
      if (tool === PanTool.toolName) {
        out.push({ mouseButton: ToolEnums.MouseBindings.Auxiliary });
        out.push({ mouseButton: ToolEnums.MouseBindings.Secondary });
      }
      return out;
    };
    for (const name of Object.values(TOOL_NAMES)) {
      const b = bindings(name);
      if (b.length) group.setToolActive(name, { bindings: b });
    }
  }

  /** Fit the image and restore the image's own window. */
  reset(): void {
    const viewport = this.viewport;
    viewport.resetCamera();
    viewport.resetProperties();
    // resetProperties() drops the MONOCHROME1 inversion, so set it again with the image's window.
    const properties: Parameters<Types.IStackViewport["setProperties"]>[0] = {
      invert: this.meta?.photometric_interpretation === "MONOCHROME1",
    };
    if (this.meta?.window_width && this.meta.window_center != null) {
      properties.voiRange = windowToVoi(this.meta.window_width, this.meta.window_center);
    }
    viewport.setProperties(properties);
    viewport.render();
  }

  /** Set the window (width/level) in modality units. */
  setWindow(width: number, level: number): void {
    this.viewport.setProperties({ voiRange: windowToVoi(width, level) });
    this.viewport.render();
  }

  /** Toggle full screen for `container` (default: the viewer element's parent). */
  async toggleFullscreen(container: HTMLElement = this.element.parentElement ?? this.element): Promise<void> {
    if (document.fullscreenElement) await document.exitFullscreen();
    else await container.requestFullscreen();
  }

  private wheelZoom(event: WheelEvent): void {
    event.preventDefault();
    if (!this.meta) return;
    const rect = this.canvas.getBoundingClientRect();
    this.zoomAt([event.clientX - rect.left, event.clientY - rect.top], Math.exp(-Math.max(-300, Math.min(300, event.deltaY)) * 0.002));
  }

  /** Zoom by `factor` keeping the image point under canvas point `at` (CSS px) in place. */
  private zoomAt(at: Types.Point2, factor: number): void {
    const viewport = this.viewport;
    const before = viewport.canvasToWorld(at);
    const zoom = Math.max(0.05, Math.min(40, viewport.getZoom() * factor));
    viewport.setZoom(zoom);
    const after = viewport.canvasToWorld(at);
    const camera = viewport.getCamera();
    if (camera.focalPoint && camera.position && before && after) {
      const d = [before[0] - after[0], before[1] - after[1], before[2] - after[2]];
      viewport.setCamera({
        focalPoint: camera.focalPoint.map((v, i) => v + d[i]) as Types.Point3,
        position: camera.position.map((v, i) => v + d[i]) as Types.Point3,
      });
    }
    viewport.render();
  }

  get canvas(): HTMLCanvasElement {
    return this.viewport.canvas;
  }

  private originAt(): "centre" | "corner" {
    return this.cpu ? "corner" : "centre";
  }

  /** Canvas CSS px (relative to the canvas' top-left) -> continuous image px. */
  canvasToImage(point: Vec2): Vec2 {
    const world = this.viewport.canvasToWorld(point as Types.Point2);
    return worldToImage(PIXEL_PLANE, world as [number, number, number], this.originAt());
  }

  /** Continuous image px -> canvas CSS px. */
  imageToCanvas(point: Vec2): Vec2 {
    const world = imageToWorld(PIXEL_PLANE, point, this.originAt());
    return this.viewport.worldToCanvas(world as Types.Point3) as Vec2;
  }

  /** The affine transform image px -> canvas CSS px, for drawing overlays. */
  imageToCanvasMatrix(): [number, number, number, number, number, number] | null {
    if (!this.meta) return null;
    const { columns, rows } = this.meta;
    try {
      return imageToCanvasTransform(
        this.imageToCanvas([0, 0]),
        this.imageToCanvas([columns, 0]),
        this.imageToCanvas([0, rows]),
        columns,
        rows,
      );
    } catch {
      return null; // the viewport has no image data yet
    }
  }

  /** What is on screen now, or null before an image is shown. */
  computeView(): ViewState | null {
    const viewport = this.viewport;
    if (!this.meta || this.imageNumber === null || !viewport.getCurrentImageId()) return null;
    const r = this.canvas.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return null;
    const screenRect: Rect = [r.left, r.top, r.right, r.bottom];
    let region: Rect;
    try {
      region = imageRegion(screenRect, (p) => this.canvasToImage(p));
    } catch {
      return null;
    }
    if (region.some((v) => !Number.isFinite(v))) return null;
    const voi = viewport.getProperties().voiRange;
    const window = voi ? voiToWindow(voi.lower, voi.upper) : { width: NaN, level: NaN };
    return {
      t: performance.now(),
      image_id: this.imageNumber,
      image_region: region,
      screen_rect: screenRect,
      window_width: window.width,
      window_level: window.level,
      // CSS px per image pixel: Cornerstone's getZoom() means different things on the CPU and GPU paths.
      zoom: displayScale(screenRect, region),
    };
  }

  /** The last view reported to listeners. */
  get view(): ViewState | null {
    return this.lastView;
  }

  /** The client rect where the image is visible now (for the simulated tracker), or null. */
  visibleImageClientRect(): Rect | null {
    const view = this.lastView ?? this.computeView();
    if (!view || !this.meta) return null;
    return visibleImageRect(view, this.meta.columns, this.meta.rows);
  }

  /** Recompute the view and tell listeners when it changed. */
  checkView(): void {
    const view = this.computeView();
    if (!view || !viewsDiffer(this.lastView, view)) return;
    this.lastView = view;
    for (const listener of this.listeners) listener(view);
  }

  /** Listen to view changes (also called for the first view); returns an unsubscribe function. */
  onViewChange(listener: (view: ViewState) => void): () => void {
    this.listeners.add(listener);
    if (this.lastView) listener(this.lastView);
    return () => this.listeners.delete(listener);
  }

  /** Listen to every render (for overlays); returns an unsubscribe function. */
  onRender(listener: () => void): () => void {
    this.renderListeners.add(listener);
    return () => this.renderListeners.delete(listener);
  }

  /** Pan by a distance in CSS px (positive x moves the image right). */
  panBy(dx: number, dy: number): void {
    const viewport = this.viewport;
    if (!this.meta) return;
    const a = viewport.canvasToWorld([0, 0] as Types.Point2);
    const b = viewport.canvasToWorld([dx, dy] as Types.Point2);
    const camera = viewport.getCamera();
    if (!a || !b || !camera.focalPoint || !camera.position) return;
    const d = [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    viewport.setCamera({
      focalPoint: camera.focalPoint.map((v, i) => v + d[i]) as Types.Point3,
      position: camera.position.map((v, i) => v + d[i]) as Types.Point3,
    });
    viewport.render();
  }

  /** Zoom by a factor about the centre of the viewer. */
  zoomBy(factor: number): void {
    if (!this.meta) return;
    const rect = this.canvas.getBoundingClientRect();
    this.zoomAt([rect.width / 2, rect.height / 2], factor);
  }

  /** Change the window by `dWidth` and `dLevel` in modality units. */
  adjustWindow(dWidth: number, dLevel: number): void {
    const voi = this.viewport.getProperties().voiRange;
    if (!voi) return;
    const current = voiToWindow(voi.lower, voi.upper);
    this.setWindow(Math.max(1, current.width + dWidth), current.level + dLevel);
  }

  /** The current window (modality units), or null before an image is shown. */
  get window(): { width: number; level: number } | null {
    const voi = this.meta ? this.viewport.getProperties().voiRange : undefined;
    return voi ? voiToWindow(voi.lower, voi.upper) : null;
  }

  destroy(): void {
    this.destroyed = true;
    this.stopWatchingRatio();
    this.resizeObserver.disconnect();
    this.element.removeEventListener(Enums.Events.IMAGE_RENDERED, this.onRendered);
    this.element.removeEventListener("wheel", this.onWheel);
    this.element.removeEventListener("contextmenu", this.onContextMenu);
    window.removeEventListener("scroll", this.onScroll, true);
    ToolGroupManager.destroyToolGroup(this.toolGroupId);
    this.engine.destroy();
    this.listeners.clear();
    this.renderListeners.clear();
  }
}
