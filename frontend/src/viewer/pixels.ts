/**
 * Stored pixel values -> modality values (rescale slope/intercept), and the display defaults of
 * an image, free of Cornerstone so that they can be unit-tested.
 */
import type { ImageMeta } from "../api/types";

export interface DecodedPixels {
  /** Modality values, row-major, rows * columns. Uint16Array when slope 1 / intercept 0 keep them integral and non-negative. */
  data: Uint16Array | Float32Array;
  min: number;
  max: number;
  /** Default window (from the image, else from min/max). */
  windowCenter: number;
  windowWidth: number;
  /** True for MONOCHROME1 (high values dark). */
  invert: boolean;
}

/**
 * Decode raw little-endian uint16 stored values and apply the modality rescale.
 *
 * Raises an Error naming the image and both sizes when the buffer does not hold rows * columns values.
 */
export function decodePixels(buffer: ArrayBuffer, meta: ImageMeta): DecodedPixels {
  const count = meta.rows * meta.columns;
  if (buffer.byteLength !== count * 2) {
    throw new Error(
      `image ${meta.id}: pixel buffer has ${buffer.byteLength} bytes, expected ${count * 2} (${meta.rows} x ${meta.columns} uint16)`,
    );
  }
  const view = new DataView(buffer);
  const slope = meta.rescale_slope ?? 1;
  const intercept = meta.rescale_intercept ?? 0;
  const identity = slope === 1 && intercept === 0;
  const data = identity ? new Uint16Array(count) : new Float32Array(count);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < count; i++) {
    const stored = view.getUint16(2 * i, true);
    const value = identity ? stored : stored * slope + intercept;
    data[i] = value;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  if (count === 0) {
    min = 0;
    max = 0;
  }
  const hasWindow = meta.window_width != null && meta.window_center != null && meta.window_width > 0;
  const windowWidth = hasWindow ? (meta.window_width as number) : Math.max(1, max - min);
  const windowCenter = hasWindow ? (meta.window_center as number) : (max + min) / 2;
  return { data, min, max, windowCenter, windowWidth, invert: meta.photometric_interpretation === "MONOCHROME1" };
}
