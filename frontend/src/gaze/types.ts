/** One gaze sample in CSS page pixels (clientX/clientY space), time-stamped by the device clock. */
export interface GazeSample {
  /** Device time in ms (for browser trackers: `performance.now()`). */
  t: number;
  /** Horizontal position in CSS px, clientX space; NaN when invalid (sent as JSON null). */
  x: number;
  /** Vertical position in CSS px, clientY space; NaN when invalid (sent as JSON null). */
  y: number;
  /** False for samples the tracker could not resolve (blink, lost track, no target). */
  valid: boolean;
}

/** A rectangle in CSS client px: left, top, right, bottom. */
export type ClientRect = [number, number, number, number];

/**
 * A source of gaze samples. The simulator, a mouse follower, a webcam tracker (an optional,
 * separately loaded module) or the local bridge to a hardware tracker all fit behind it.
 */
export interface GazeTracker {
  /** Human-readable name shown in the gaze panel. */
  readonly name: string;
  /** Device identifier sent with every batch (`device` field). */
  readonly device: string;
  readonly running: boolean;
  start(): void | Promise<void>;
  stop(): void;
  /** Register a listener for new samples; returns a function that unregisters it. */
  onSamples(listener: (samples: GazeSample[]) => void): () => void;
}

/** Fan-out of sample listeners, shared by tracker implementations. */
export class SampleEmitter {
  private readonly listeners = new Set<(samples: GazeSample[]) => void>();

  add(listener: (samples: GazeSample[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(samples: GazeSample[]): void {
    if (samples.length === 0) return;
    for (const listener of this.listeners) listener(samples);
  }
}
