/**
 * A simulated eye tracker: fixations of 200-400 ms with small jitter on the displayed image,
 * joined by fast saccades, sampled at a fixed rate on the `performance.now()` clock.
 */
import { type ClientRect, type GazeSample, type GazeTracker, SampleEmitter } from "./types";

/** Deterministic PRNG (mulberry32) so that tests and demos can be reproduced. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal deviate from a uniform source (Box-Muller). */
function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export interface SimulatorOptions {
  /** Sampling rate in Hz (default 250). */
  rateHz?: number;
  /** Fixation duration range in ms (default 200-400). */
  fixationMs?: [number, number];
  /** Standard deviation of the fixational jitter in CSS px (default 0.5). */
  jitterPx?: number;
  /** Saccade peak speed in CSS px per ms (default 8, i.e. 8000 px/s). */
  saccadePxPerMs?: number;
  /** Fraction of the target rect kept free at each border (default 0.08). */
  inset?: number;
  random?: () => number;
}

type Phase = { kind: "fixation"; until: number; x: number; y: number } | {
  kind: "saccade";
  from: [number, number];
  to: [number, number];
  start: number;
  until: number;
};

/**
 * The pure sample generator behind {@link SimulatedTracker}: call {@link generate} with the
 * current time and it returns every sample due since the last call.
 */
export class GazeSimulator {
  readonly periodMs: number;
  private readonly fixationMs: [number, number];
  private readonly jitterPx: number;
  private readonly saccadePxPerMs: number;
  private readonly inset: number;
  private readonly random: () => number;
  private nextT: number | null = null;
  private phase: Phase | null = null;

  constructor(
    private readonly target: () => ClientRect | null,
    options: SimulatorOptions = {},
  ) {
    const rate = options.rateHz ?? 250;
    if (!(rate > 0)) throw new Error(`rateHz must be > 0, got ${rate}`);
    this.periodMs = 1000 / rate;
    this.fixationMs = options.fixationMs ?? [200, 400];
    this.jitterPx = options.jitterPx ?? 0.5;
    this.saccadePxPerMs = options.saccadePxPerMs ?? 8;
    this.inset = options.inset ?? 0.08;
    this.random = options.random ?? Math.random;
  }

  /** Start the sample clock at `t0` (ms). */
  reset(t0: number): void {
    this.nextT = t0;
    this.phase = null;
  }

  /** All samples with timestamps in [last generated + period, now]. */
  generate(now: number): GazeSample[] {
    if (this.nextT === null) this.reset(now);
    const out: GazeSample[] = [];
    while ((this.nextT as number) <= now) {
      out.push(this.sampleAt(this.nextT as number));
      this.nextT = (this.nextT as number) + this.periodMs;
    }
    return out;
  }

  private pickPoint(rect: ClientRect): [number, number] {
    const [x0, y0, x1, y1] = rect;
    const mx = (x1 - x0) * this.inset;
    const my = (y1 - y0) * this.inset;
    return [
      x0 + mx + this.random() * Math.max(0, x1 - x0 - 2 * mx),
      y0 + my + this.random() * Math.max(0, y1 - y0 - 2 * my),
    ];
  }

  private newFixation(t: number, at: [number, number]): Phase {
    const [lo, hi] = this.fixationMs;
    return { kind: "fixation", x: at[0], y: at[1], until: t + lo + this.random() * (hi - lo) };
  }

  private sampleAt(t: number): GazeSample {
    const rect = this.target();
    if (!rect || rect[2] - rect[0] < 1 || rect[3] - rect[1] < 1) {
      this.phase = null;
      return { t, x: Number.NaN, y: Number.NaN, valid: false };
    }
    if (!this.phase) this.phase = this.newFixation(t, this.pickPoint(rect));
    if (t >= this.phase.until) {
      if (this.phase.kind === "fixation") {
        const from: [number, number] = [this.phase.x, this.phase.y];
        const to = this.pickPoint(rect);
        const distance = Math.hypot(to[0] - from[0], to[1] - from[1]);
        // Mean speed is about half the peak speed for the smooth profile below; at least 2 samples.
        const duration = Math.max(2 * this.periodMs, (2 * distance) / this.saccadePxPerMs);
        this.phase = { kind: "saccade", from, to, start: t, until: t + duration };
      } else {
        this.phase = this.newFixation(t, this.phase.to);
      }
    }
    if (this.phase.kind === "fixation") {
      return {
        t,
        x: this.phase.x + gaussian(this.random) * this.jitterPx,
        y: this.phase.y + gaussian(this.random) * this.jitterPx,
        valid: true,
      };
    }
    const { from, to, start, until } = this.phase;
    const u = Math.min(1, Math.max(0, (t - start) / (until - start)));
    const s = 0.5 - 0.5 * Math.cos(Math.PI * u); // smooth start and stop
    return { t, x: from[0] + (to[0] - from[0]) * s, y: from[1] + (to[1] - from[1]) * s, valid: true };
  }
}

/** The browser's simulated tracker: a {@link GazeSimulator} driven by a timer on `performance.now()`. */
export class SimulatedTracker implements GazeTracker {
  readonly name = "Simulated";
  readonly device = "browser-simulator";
  private readonly emitter = new SampleEmitter();
  private readonly simulator: GazeSimulator;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    target: () => ClientRect | null,
    options: SimulatorOptions & { tickMs?: number; now?: () => number } = {},
  ) {
    this.simulator = new GazeSimulator(target, options);
    this.tickMs = options.tickMs ?? 20;
    this.now = options.now ?? (() => performance.now());
  }

  private readonly tickMs: number;
  private readonly now: () => number;

  get running(): boolean {
    return this.timer !== null;
  }

  start(): void {
    if (this.timer) return;
    this.simulator.reset(this.now());
    this.timer = setInterval(() => this.emitter.emit(this.simulator.generate(this.now())), this.tickMs);
  }

  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
    this.emitter.emit(this.simulator.generate(this.now()));
  }

  onSamples(listener: (samples: GazeSample[]) => void): () => void {
    return this.emitter.add(listener);
  }
}

/** Follows the mouse (`?sim=mouse`): the last pointer position, sampled at a fixed rate. */
export class MouseTracker implements GazeTracker {
  readonly name = "Mouse";
  readonly device = "browser-mouse";
  private readonly emitter = new SampleEmitter();
  private timer: ReturnType<typeof setInterval> | null = null;
  private position: [number, number] | null = null;
  private nextT = 0;
  private readonly periodMs: number;
  private readonly onMove = (event: MouseEvent) => {
    this.position = [event.clientX, event.clientY];
  };

  constructor(rateHz = 250, private readonly now: () => number = () => performance.now()) {
    this.periodMs = 1000 / rateHz;
  }

  get running(): boolean {
    return this.timer !== null;
  }

  start(): void {
    if (this.timer) return;
    window.addEventListener("mousemove", this.onMove, { passive: true });
    this.nextT = this.now();
    this.timer = setInterval(() => {
      const now = this.now();
      const out: GazeSample[] = [];
      for (; this.nextT <= now; this.nextT += this.periodMs) {
        const p = this.position;
        out.push(p ? { t: this.nextT, x: p[0], y: p[1], valid: true } : { t: this.nextT, x: Number.NaN, y: Number.NaN, valid: false });
      }
      this.emitter.emit(out);
    }, 20);
  }

  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
    window.removeEventListener("mousemove", this.onMove);
  }

  onSamples(listener: (samples: GazeSample[]) => void): () => void {
    return this.emitter.add(listener);
  }
}
