/**
 * Stored pixel values -> modality values (rescale slope/intercept), and the display defaults of
 * an image, free of Cornerstone so that they can be unit-tested.
 */
import type { PixelFormat } from "./dicomweb";

export interface DecodedPixels {
  /** Modality values, row-major, rows * columns. Uint16Array when the stored values are unsigned and slope 1 / intercept 0 keep them integral. */
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
 * Decode one uncompressed little-endian frame (as WADO-RS `frames` sends it: 8-bit, or 16-bit unsigned
 * or two's complement, per `format`) and apply the modality rescale.
 *
 * `label` names the image in errors. Raises an Error naming it and both sizes when `bytes` does not
 * hold rows * columns values.
 */
export function decodeFrame(bytes: Uint8Array, format: PixelFormat, label: string): DecodedPixels {
  const count = format.rows * format.columns;
  const bytesPerValue = format.bitsAllocated / 8;
  if (bytes.byteLength !== count * bytesPerValue) {
    throw new Error(
      `${label}: frame has ${bytes.byteLength} bytes, expected ${count * bytesPerValue} (${format.rows} x ${format.columns} x ${format.bitsAllocated} bits)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const signed = format.pixelRepresentation === 1;
  const read =
    bytesPerValue === 1
      ? signed
        ? (i: number) => view.getInt8(i)
        : (i: number) => view.getUint8(i)
      : signed
        ? (i: number) => view.getInt16(2 * i, true)
        : (i: number) => view.getUint16(2 * i, true);
  const slope = format.rescaleSlope;
  const intercept = format.rescaleIntercept;
  const identity = slope === 1 && intercept === 0;
  const integral = identity && !signed;
  const data = integral ? new Uint16Array(count) : new Float32Array(count);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < count; i++) {
    const stored = read(i);
    const value = identity ? stored : stored * slope + intercept;
    data[i] = value;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  if (count === 0) {
    min = 0;
    max = 0;
  }
  const hasWindow = format.windowWidth != null && format.windowCenter != null && format.windowWidth > 0;
  const windowWidth = hasWindow ? (format.windowWidth as number) : Math.max(1, max - min);
  const windowCenter = hasWindow ? (format.windowCenter as number) : (max + min) / 2;
  return { data, min, max, windowCenter, windowWidth, invert: format.photometricInterpretation === "MONOCHROME1" };
}
