import { describe, expect, it } from "vitest";
import type { ImageMeta } from "../src/api/types";
import { decodePixels } from "../src/viewer/pixels";

const meta = (over: Partial<ImageMeta>): ImageMeta => ({
  id: 5,
  rows: 2,
  columns: 2,
  bits_stored: 12,
  photometric_interpretation: "MONOCHROME2",
  rescale_slope: 1,
  rescale_intercept: 0,
  window_center: null,
  window_width: null,
  pixel_spacing: null,
  view_position: "PA",
  pixels_url: "/p",
  display_url: "/d",
  ...over,
});

function le16(values: number[]): ArrayBuffer {
  const buffer = new ArrayBuffer(values.length * 2);
  const view = new DataView(buffer);
  values.forEach((v, i) => view.setUint16(2 * i, v, true));
  return buffer;
}

describe("decodePixels", () => {
  it("reads little-endian uint16 and keeps integers when there is no rescale", () => {
    const d = decodePixels(le16([0, 256, 4095, 1]), meta({}));
    expect(d.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(d.data)).toEqual([0, 256, 4095, 1]);
    expect([d.min, d.max]).toEqual([0, 4095]);
    expect(d.windowWidth).toBe(4095);
    expect(d.windowCenter).toBe(2047.5);
    expect(d.invert).toBe(false);
  });

  it("applies slope and intercept and keeps the image's own window", () => {
    const d = decodePixels(le16([0, 10, 20, 30]), meta({ rescale_slope: 2, rescale_intercept: -1024, window_center: 40, window_width: 400 }));
    expect(Array.from(d.data)).toEqual([-1024, -1004, -984, -964]);
    expect([d.min, d.max]).toEqual([-1024, -964]);
    expect([d.windowCenter, d.windowWidth]).toEqual([40, 400]);
  });

  it("inverts MONOCHROME1", () => {
    expect(decodePixels(le16([1, 2, 3, 4]), meta({ photometric_interpretation: "MONOCHROME1" })).invert).toBe(true);
  });

  it("names the image and both sizes when the buffer is short", () => {
    expect(() => decodePixels(le16([1, 2, 3]), meta({}))).toThrow(/image 5: pixel buffer has 6 bytes, expected 8/);
  });
});
