/** Tracker registry: the trackers in the default bundle, chosen by name. */
import { MouseTracker, SimulatedTracker } from "./simulator";
import type { ClientRect, GazeTracker } from "./types";

export type TrackerKind = "simulated" | "mouse";

export const TRACKERS: ReadonlyArray<{ kind: TrackerKind; label: string }> = [
  { kind: "simulated", label: "Simulated" },
  { kind: "mouse", label: "Mouse (simulated)" },
];

/** Build a tracker; `target` gives the client rect of the visible image (simulator only). */
export function createTracker(kind: TrackerKind, target: () => ClientRect | null, rateHz: number): GazeTracker {
  switch (kind) {
    case "simulated":
      return new SimulatedTracker(target, { rateHz });
    case "mouse":
      return new MouseTracker(rateHz);
    default:
      throw new Error(`unknown tracker ${String(kind)}`);
  }
}
