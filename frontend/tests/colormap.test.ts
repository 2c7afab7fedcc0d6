import { describe, expect, it } from "vitest";
import { accumulateDensity, colorizeDensity, heatColor } from "../src/heatmap/colormap";

const luminance = ([r, g, b]: [number, number, number]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;

describe("heatColor", () => {
  it("gets brighter monotonically from 0 to 1", () => {
    let last = -1;
    for (let i = 0; i <= 100; i++) {
      const l = luminance(heatColor(i / 100));
      expect(l).toBeGreaterThanOrEqual(last);
      last = l;
    }
  });

  it("clamps out-of-range and non-finite values", () => {
    expect(heatColor(-3)).toEqual(heatColor(0));
    expect(heatColor(7)).toEqual(heatColor(1));
    expect(heatColor(Number.NaN)).toEqual(heatColor(0));
  });
});

describe("colorizeDensity", () => {
  it("leaves zero transparent and gives the maximum the top colour and opacity", () => {
    const rgba = colorizeDensity([0, 2, 4], 200);
    expect(Array.from(rgba.slice(0, 4))).toEqual([0, 0, 0, 0]);
    expect(Array.from(rgba.slice(8, 11))).toEqual(heatColor(1));
    expect(rgba[11]).toBe(200);
    expect(rgba[7]).toBeGreaterThan(0);
    expect(rgba[7]).toBeLessThan(200);
  });

  it("returns all-transparent pixels for an empty map", () => {
    expect(Array.from(colorizeDensity([0, 0]))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe("accumulateDensity", () => {
  it("bins image points into grid cells and ignores points off the image", () => {
    const grid = accumulateDensity([[0, 0], [99, 99], [50, 10], [100, 5], [-1, 3]], 100, 100, 2, 2);
    expect(Array.from(grid)).toEqual([1, 1, 0, 1]);
  });
});
