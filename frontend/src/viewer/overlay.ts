/**
 * A canvas laid over the viewer that follows zoom and pan: it redraws on every Cornerstone render
 * with the viewport's image-to-canvas transform. Draws an image-sized layer (the gaze heatmap or
 * the model's attention map) and, optionally, the live gaze point.
 */
import type { Viewer } from "./viewer";

export class ViewerOverlay {
  readonly canvas: HTMLCanvasElement;
  private layer: HTMLImageElement | null = null;
  /** The image size the layer belongs to (drawn only over an image of that size). */
  private layerSize: { width: number; height: number } | null = null;
  private opacity = 0.7;
  private visible = true;
  private gazePoint: [number, number] | null = null;
  private density: HTMLCanvasElement | null = null;
  private readonly unsubscribe: () => void;

  constructor(private readonly viewer: Viewer, testId = "heatmap-overlay") {
    this.canvas = document.createElement("canvas");
    this.canvas.className = "viewer-overlay";
    this.canvas.dataset.testid = testId;
    this.canvas.dataset.layer = "none";
    this.canvas.dataset.density = "off";
    viewer.element.appendChild(this.canvas);
    this.unsubscribe = viewer.onRender(() => this.draw());
  }

  /**
   * Load and show an image-sized layer from `url` (null clears it). With `size`, the layer is
   * drawn only while the viewer shows an image of that size (so not over another view of a
   * multi-image study). Resolves when drawn.
   */
  async setLayer(url: string | null, name = "heatmap", size?: { width: number; height: number }): Promise<void> {
    this.layerSize = size ?? null;
    if (!url) {
      this.layer = null;
      this.canvas.dataset.layer = "none";
      this.draw();
      return;
    }
    const image = new Image();
    image.decoding = "async";
    await new Promise<void>((resolve, reject) => {
      image.onload = () => resolve();
      image.onerror = () => reject(new Error(`cannot load overlay ${url}`));
      image.src = url;
    });
    this.layer = image;
    this.canvas.dataset.layer = name;
    this.draw();
  }

  /** Show a coarse RGBA density grid (`gridW * gridH` cells covering the image), or clear it with null. */
  setDensity(rgba: Uint8ClampedArray | null, gridW = 0, gridH = 0): void {
    this.canvas.dataset.density = rgba ? "on" : "off";
    if (!rgba) {
      this.density = null;
    } else {
      const canvas = this.density ?? document.createElement("canvas");
      canvas.width = gridW;
      canvas.height = gridH;
      canvas.getContext("2d")?.putImageData(new ImageData(new Uint8ClampedArray(rgba), gridW, gridH), 0, 0);
      this.density = canvas;
    }
    this.draw();
  }

  setOpacity(opacity: number): void {
    this.opacity = Math.min(1, Math.max(0, opacity));
    this.draw();
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    this.draw();
  }

  /** Show the live gaze point (client px), or hide it with null. */
  setGazePoint(point: [number, number] | null): void {
    this.gazePoint = point;
    this.draw();
  }

  draw(): void {
    const viewerCanvas = this.viewer.canvas;
    const rect = viewerCanvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(rect.width * dpr));
    const height = Math.max(1, Math.round(rect.height * dpr));
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    const parentRect = this.viewer.element.getBoundingClientRect();
    this.canvas.style.left = `${rect.left - parentRect.left}px`;
    this.canvas.style.top = `${rect.top - parentRect.top}px`;
    this.canvas.style.width = `${rect.width}px`;
    this.canvas.style.height = `${rect.height}px`;
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const meta = this.viewer.imageMeta;
    const matrix = this.viewer.imageToCanvasMatrix();
    const sizeMatches =
      !this.layerSize || (meta && meta.columns === this.layerSize.width && meta.rows === this.layerSize.height);
    if (this.layer && this.visible && meta && matrix && sizeMatches) {
      const [a, b, c, d, e, f] = matrix;
      ctx.setTransform(a * dpr, b * dpr, c * dpr, d * dpr, e * dpr, f * dpr);
      ctx.globalAlpha = this.opacity;
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(this.layer, 0, 0, meta.columns, meta.rows);
      ctx.globalAlpha = 1;
      ctx.setTransform(1, 0, 0, 1, 0, 0);
    }
    if (this.density && meta && matrix) {
      const [a, b, c, d, e, f] = matrix;
      ctx.setTransform(a * dpr, b * dpr, c * dpr, d * dpr, e * dpr, f * dpr);
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(this.density, 0, 0, meta.columns, meta.rows);
      ctx.setTransform(1, 0, 0, 1, 0, 0);
    }
    if (this.gazePoint) {
      const x = (this.gazePoint[0] - rect.left) * dpr;
      const y = (this.gazePoint[1] - rect.top) * dpr;
      ctx.beginPath();
      ctx.arc(x, y, 7 * dpr, 0, 2 * Math.PI);
      ctx.strokeStyle = "rgba(80, 220, 255, 0.9)";
      ctx.lineWidth = 2 * dpr;
      ctx.stroke();
    }
  }

  destroy(): void {
    this.unsubscribe();
    this.canvas.remove();
  }
}
