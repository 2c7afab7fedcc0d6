import { describe, expect, it } from "vitest";
import { GazeSimulator, mulberry32 } from "../src/gaze/simulator";
import type { ClientRect, GazeSample } from "../src/gaze/types";

const rect: ClientRect = [100, 50, 900, 850];

/** Split samples into fixations with a simple velocity threshold (px/ms). */
function fixations(samples: GazeSample[], threshold = 1): GazeSample[][] {
  const out: GazeSample[][] = [];
  let current: GazeSample[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    const v = Math.hypot(b.x - a.x, b.y - a.y) / (b.t - a.t);
    if (v < threshold) current.push(b);
    else if (current.length) {
      out.push(current);
      current = [];
    }
  }
  if (current.length) out.push(current);
  return out;
}

describe("GazeSimulator", () => {
  it("samples at the configured rate on the given clock", () => {
    const sim = new GazeSimulator(() => rect, { rateHz: 250, random: mulberry32(1) });
    sim.reset(1000);
    const samples = sim.generate(2000);
    expect(samples).toHaveLength(251);
    expect(samples[0].t).toBe(1000);
    expect(samples[1].t - samples[0].t).toBeCloseTo(4, 9);
    expect(sim.generate(2001)).toHaveLength(0);
    expect(sim.generate(2004)).toHaveLength(1);
  });

  it("stays on the target rectangle", () => {
    const sim = new GazeSimulator(() => rect, { random: mulberry32(2) });
    sim.reset(0);
    const samples = sim.generate(20_000);
    expect(samples.every((s) => s.valid)).toBe(true);
    const xs = samples.map((s) => s.x);
    const ys = samples.map((s) => s.y);
    expect(Math.min(...xs)).toBeGreaterThan(rect[0]);
    expect(Math.max(...xs)).toBeLessThan(rect[2]);
    expect(Math.min(...ys)).toBeGreaterThan(rect[1]);
    expect(Math.max(...ys)).toBeLessThan(rect[3]);
  });

  it("dwells 200-400 ms per fixation with small jitter, joined by fast saccades", () => {
    const sim = new GazeSimulator(() => rect, { rateHz: 250, random: mulberry32(3) });
    sim.reset(0);
    const found = fixations(sim.generate(30_000));
    // drop the first and last (cut by the recording window)
    const inner = found.slice(1, -1).filter((f) => f.length > 5);
    expect(inner.length).toBeGreaterThan(50);
    for (const f of inner) {
      const duration = f[f.length - 1].t - f[0].t;
      expect(duration).toBeGreaterThan(150);
      expect(duration).toBeLessThan(420);
      const mx = f.reduce((s, p) => s + p.x, 0) / f.length;
      const my = f.reduce((s, p) => s + p.y, 0) / f.length;
      const spread = Math.max(...f.map((p) => Math.hypot(p.x - mx, p.y - my)));
      expect(spread).toBeLessThan(6);
    }
  });

  it("marks samples invalid while there is no image to look at", () => {
    let target: ClientRect | null = null;
    const sim = new GazeSimulator(() => target, { random: mulberry32(4) });
    sim.reset(0);
    expect(sim.generate(100).every((s) => !s.valid)).toBe(true);
    target = rect;
    expect(sim.generate(200).every((s) => s.valid)).toBe(true);
  });

  it("refuses a non-positive rate", () => {
    expect(() => new GazeSimulator(() => rect, { rateHz: 0 })).toThrow(/rateHz/);
  });
});
