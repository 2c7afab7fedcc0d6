import { describe, expect, it } from "vitest";
import type { PixelFormat } from "../src/viewer/dicomweb";
import { decodeFrame } from "../src/viewer/pixels";

const format = (over: Partial<PixelFormat>): PixelFormat => ({
  rows: 2,
  columns: 2,
  bitsAllocated: 16,
  bitsStored: 12,
  pixelRepresentation: 0,
  photometricInterpretation: "MONOCHROME2",
  rescaleSlope: 1,
  rescaleIntercept: 0,
  windowCenter: null,
  windowWidth: null,
  ...over,
});

function le16(values: number[], signed = false): Uint8Array {
  const bytes = new Uint8Array(values.length * 2);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => (signed ? view.setInt16(2 * i, v, true) : view.setUint16(2 * i, v, true)));
  return bytes;
}

describe("decodeFrame", () => {
  it("reads little-endian uint16 and keeps integers when there is no rescale", () => {
    const d = decodeFrame(le16([0, 256, 4095, 1]), format({}), "image 5");
    expect(d.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(d.data)).toEqual([0, 256, 4095, 1]);
    expect([d.min, d.max]).toEqual([0, 4095]);
    expect(d.windowWidth).toBe(4095);
    expect(d.windowCenter).toBe(2047.5);
    expect(d.invert).toBe(false);
  });

  it("applies slope and intercept and keeps the image's own window", () => {
    const d = decodeFrame(
      le16([0, 10, 20, 30]),
      format({ rescaleSlope: 2, rescaleIntercept: -1024, windowCenter: 40, windowWidth: 400 }),
      "image 5",
    );
    expect(Array.from(d.data)).toEqual([-1024, -1004, -984, -964]);
    expect([d.min, d.max]).toEqual([-1024, -964]);
    expect([d.windowCenter, d.windowWidth]).toEqual([40, 400]);
  });

  it("reads two's complement values as signed", () => {
    const d = decodeFrame(le16([-2048, -1, 0, 2047], true), format({ pixelRepresentation: 1 }), "image 5");
    expect(d.data).toBeInstanceOf(Float32Array);
    expect(Array.from(d.data)).toEqual([-2048, -1, 0, 2047]);
    expect([d.min, d.max]).toEqual([-2048, 2047]);
  });

  it("reads 8-bit frames (one byte per value)", () => {
    const d = decodeFrame(Uint8Array.from([0, 127, 255, 3]), format({ bitsAllocated: 8, bitsStored: 8 }), "image 5");
    expect(d.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(d.data)).toEqual([0, 127, 255, 3]);
  });

  it("reads a frame that starts at an odd offset inside a larger body", () => {
    const body = new Uint8Array(9);
    body.set(le16([1, 2, 3, 4]), 1);
    expect(Array.from(decodeFrame(body.subarray(1), format({}), "image 5").data)).toEqual([1, 2, 3, 4]);
  });

  it("inverts MONOCHROME1", () => {
    expect(decodeFrame(le16([1, 2, 3, 4]), format({ photometricInterpretation: "MONOCHROME1" }), "image 5").invert).toBe(true);
  });

  it("names the image and both sizes when the frame is short", () => {
    expect(() => decodeFrame(le16([1, 2, 3]), format({}), "image 5")).toThrow(/image 5: frame has 6 bytes, expected 8/);
  });
});
