/**
 * View geometry, free of Cornerstone so that it can be unit-tested.
 *
 * Image-pixel coordinates are continuous: (0, 0) is the top-left corner of the top-left pixel,
 * (columns, rows) the bottom-right corner of the bottom-right pixel, and the centre of pixel
 * (column i, row j) is at (i + 0.5, j + 0.5). Cornerstone's world coordinates place the centre of
 * pixel (0, 0) at the image plane's origin.
 */

export type Vec2 = [number, number];
export type Vec3 = [number, number, number];
/** left, top, right, bottom */
export type Rect = [number, number, number, number];

/** The geometry of one image plane in Cornerstone world coordinates (mm, or px when spacing is 1). */
export interface ImagePlane {
  /** World position of the centre of pixel (0, 0). */
  origin: Vec3;
  /** Unit vector along a row (increasing column index, image x). */
  rowCosines: Vec3;
  /** Unit vector along a column (increasing row index, image y). */
  columnCosines: Vec3;
  /** Distance between the centres of horizontally adjacent pixels. */
  spacingX: number;
  /** Distance between the centres of vertically adjacent pixels. */
  spacingY: number;
}

const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/**
 * World point -> continuous image-pixel coordinates (x = column, y = row).
 *
 * `originAt` says what the plane's origin is: the centre of pixel (0, 0) (`"centre"`, the
 * convention of Cornerstone's GPU path and of DICOM) or its top-left corner (`"corner"`: the CPU
 * fallback renderer maps world = origin + pixel * spacing with pixel coordinates measured from
 * the image's top-left corner).
 */
export function worldToImage(plane: ImagePlane, world: Vec3, originAt: "centre" | "corner" = "centre"): Vec2 {
  const half = originAt === "centre" ? 0.5 : 0;
  const d: Vec3 = [world[0] - plane.origin[0], world[1] - plane.origin[1], world[2] - plane.origin[2]];
  return [dot(d, plane.rowCosines) / plane.spacingX + half, dot(d, plane.columnCosines) / plane.spacingY + half];
}

/** Continuous image-pixel coordinates -> world point (on the image plane); inverse of {@link worldToImage}. */
export function imageToWorld(plane: ImagePlane, image: Vec2, originAt: "centre" | "corner" = "centre"): Vec3 {
  const half = originAt === "centre" ? 0.5 : 0;
  const u = (image[0] - half) * plane.spacingX;
  const v = (image[1] - half) * plane.spacingY;
  return [
    plane.origin[0] + u * plane.rowCosines[0] + v * plane.columnCosines[0],
    plane.origin[1] + u * plane.rowCosines[1] + v * plane.columnCosines[1],
    plane.origin[2] + u * plane.rowCosines[2] + v * plane.columnCosines[2],
  ];
}

/**
 * The image region shown in a screen rectangle: image coordinates of the rect's top-left and
 * bottom-right corners. `canvasToImage` maps canvas CSS px (relative to the rect's top-left) to
 * image pixels.
 */
export function imageRegion(screenRect: Rect, canvasToImage: (canvas: Vec2) => Vec2): Rect {
  const width = screenRect[2] - screenRect[0];
  const height = screenRect[3] - screenRect[1];
  const [x0, y0] = canvasToImage([0, 0]);
  const [x1, y1] = canvasToImage([width, height]);
  return [x0, y0, x1, y1];
}

/**
 * Map a client point to image pixels linearly through a view (what the server does with each
 * sample): screen_rect corners map to image_region corners.
 */
export function clientToImage(view: { screen_rect: Rect; image_region: Rect }, x: number, y: number): Vec2 {
  const [sx0, sy0, sx1, sy1] = view.screen_rect;
  const [ix0, iy0, ix1, iy1] = view.image_region;
  return [ix0 + ((x - sx0) / (sx1 - sx0)) * (ix1 - ix0), iy0 + ((y - sy0) / (sy1 - sy0)) * (iy1 - iy0)];
}

/** Inverse of {@link clientToImage}: image pixels -> client px. */
export function imageToClient(view: { screen_rect: Rect; image_region: Rect }, x: number, y: number): Vec2 {
  const [sx0, sy0, sx1, sy1] = view.screen_rect;
  const [ix0, iy0, ix1, iy1] = view.image_region;
  return [sx0 + ((x - ix0) / (ix1 - ix0)) * (sx1 - sx0), sy0 + ((y - iy0) / (iy1 - iy0)) * (sy1 - sy0)];
}

/**
 * The part of the screen rect where the image is drawn (client px), or null when none of the
 * image is visible.
 */
export function visibleImageRect(
  view: { screen_rect: Rect; image_region: Rect },
  columns: number,
  rows: number,
): Rect | null {
  const a = imageToClient(view, 0, 0);
  const b = imageToClient(view, columns, rows);
  const left = Math.max(view.screen_rect[0], Math.min(a[0], b[0]));
  const right = Math.min(view.screen_rect[2], Math.max(a[0], b[0]));
  const top = Math.max(view.screen_rect[1], Math.min(a[1], b[1]));
  const bottom = Math.min(view.screen_rect[3], Math.max(a[1], b[1]));
  return right > left && bottom > top ? [left, top, right, bottom] : null;
}

/**
 * The 2-D affine transform `[a, b, c, d, e, f]` (CanvasRenderingContext2D.setTransform order)
 * taking image pixels to canvas px, from where three image corners land on the canvas:
 * `p00` = image (0, 0), `p10` = image (width, 0), `p01` = image (0, height).
 */
export function imageToCanvasTransform(
  p00: Vec2,
  p10: Vec2,
  p01: Vec2,
  width: number,
  height: number,
): [number, number, number, number, number, number] {
  return [
    (p10[0] - p00[0]) / width,
    (p10[1] - p00[1]) / width,
    (p01[0] - p00[0]) / height,
    (p01[1] - p00[1]) / height,
    p00[0],
    p00[1],
  ];
}

/** Window width/level from a VOI range (lower, upper). */
export function voiToWindow(lower: number, upper: number): { width: number; level: number } {
  return { width: upper - lower, level: (upper + lower) / 2 };
}

/** VOI range from a window width/level (the linear VOI LUT). */
export function windowToVoi(width: number, level: number): { lower: number; upper: number } {
  return { lower: level - width / 2, upper: level + width / 2 };
}

/** True when two views differ by more than `eps` in any number (used to drop duplicate view events). */
export function viewsDiffer(
  a: { image_id: number; image_region: Rect; screen_rect: Rect; window_width: number; window_level: number; zoom: number } | null,
  b: { image_id: number; image_region: Rect; screen_rect: Rect; window_width: number; window_level: number; zoom: number },
  eps = 1e-6,
): boolean {
  if (!a || a.image_id !== b.image_id) return true;
  const numbers = (v: typeof b) => [...v.image_region, ...v.screen_rect, v.window_width, v.window_level, v.zoom];
  const na = numbers(a);
  const nb = numbers(b);
  return na.some((value, i) => Math.abs(value - nb[i]) > eps * Math.max(1, Math.abs(value)));
}

/** Display scale in CSS px per image pixel (horizontal), from a screen rect and its image region. */
export function displayScale(screenRect: Rect, region: Rect): number {
  return (screenRect[2] - screenRect[0]) / Math.abs(region[2] - region[0]);
}
