/**
 * A perceptually ordered heat colour map (black-red-yellow-white, "hot"-like but with a blue-violet
 * start so that faint values stay visible over a grey radiograph), and density colouring.
 */

export type RGBA = [number, number, number, number];

/** Colour stops: position in [0, 1] and RGB in 0-255. */
const STOPS: Array<[number, [number, number, number]]> = [
  [0.0, [48, 18, 96]],
  [0.25, [140, 30, 120]],
  [0.5, [228, 60, 50]],
  [0.75, [252, 170, 30]],
  [1.0, [255, 250, 200]],
];

/** Colour of a normalised value `v` in [0, 1] (clamped); returns RGB in 0-255. */
export function heatColor(v: number): [number, number, number] {
  const x = Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
  for (let i = 1; i < STOPS.length; i++) {
    const [p1, c1] = STOPS[i];
    if (x <= p1) {
      const [p0, c0] = STOPS[i - 1];
      const u = (x - p0) / (p1 - p0);
      return [
        Math.round(c0[0] + (c1[0] - c0[0]) * u),
        Math.round(c0[1] + (c1[1] - c0[1]) * u),
        Math.round(c0[2] + (c1[2] - c0[2]) * u),
      ];
    }
  }
  return [...STOPS[STOPS.length - 1][1]];
}

/**
 * Colour a density grid (row-major, `width * height` non-negative values) as RGBA pixels: values
 * are divided by the maximum, zero stays fully transparent, and opacity rises with the value up
 * to `maxAlpha` (0-255).
 */
export function colorizeDensity(values: ArrayLike<number>, maxAlpha = 180): Uint8ClampedArray {
  let max = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
  const out = new Uint8ClampedArray(values.length * 4);
  if (max <= 0) return out;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] / max;
    if (!(v > 0)) continue;
    const [r, g, b] = heatColor(v);
    out[4 * i] = r;
    out[4 * i + 1] = g;
    out[4 * i + 2] = b;
    out[4 * i + 3] = Math.round(maxAlpha * Math.min(1, 0.25 + 0.75 * Math.sqrt(v)));
  }
  return out;
}

/**
 * Accumulate points (in image px) into a coarse density grid of `gridW * gridH` cells covering an
 * image of `columns * rows` px; points outside the image are ignored.
 */
export function accumulateDensity(
  points: ArrayLike<[number, number]> | Array<[number, number]>,
  columns: number,
  rows: number,
  gridW: number,
  gridH: number,
): Float32Array {
  const grid = new Float32Array(gridW * gridH);
  for (let i = 0; i < points.length; i++) {
    const [x, y] = points[i];
    if (!(x >= 0 && y >= 0 && x < columns && y < rows)) continue;
    const gx = Math.floor((x / columns) * gridW);
    const gy = Math.floor((y / rows) * gridH);
    grid[gy * gridW + gx] += 1;
  }
  return grid;
}
