/**
 * Keyboard control of the viewer, free of Cornerstone (unit-tested). Shortcuts act only without
 * Ctrl, Alt, Meta or Shift (so browser shortcuts such as Ctrl+F keep working) and never while the
 * focus is in a text field or a drop-down.
 */
import type { LeftTool } from "./handle";

export type ViewerAction =
  | { kind: "tool"; tool: LeftTool }
  | { kind: "reset" }
  | { kind: "fullscreen" }
  | { kind: "zoom"; factor: number }
  | { kind: "pan"; dx: number; dy: number }
  | { kind: "window"; dWidth: number; dLevel: number };

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  altKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  target: EventTarget | null;
}

/** CSS px per arrow-key press when panning. */
export const PAN_STEP = 40;
/** Zoom factor per key press. */
export const ZOOM_STEP = 1.2;

/** True when the event's target takes typed text (inputs, text areas, drop-downs, editable elements). */
export function isTyping(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  if (!element || typeof element.tagName !== "string") return false;
  if (/^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName)) return true;
  return element.isContentEditable === true;
}

/**
 * The viewer action of a key press, or null. W/P/Z choose what a left drag does; R resets; F full
 * screen; + and - zoom; the arrow keys act by the chosen tool: pan, zoom (up/down) or window
 * (left/right narrow/widen the window, up/down raise/lower the level). `windowStep` is the window
 * change per press in modality units.
 */
export function viewerKeyAction(event: KeyLike, tool: LeftTool, windowStep: number): ViewerAction | null {
  if (event.ctrlKey || event.altKey || event.metaKey || event.shiftKey) return null;
  if (isTyping(event.target)) return null;
  switch (event.key.toLowerCase()) {
    case "w":
      return { kind: "tool", tool: "windowLevel" };
    case "p":
      return { kind: "tool", tool: "pan" };
    case "z":
      return { kind: "tool", tool: "zoom" };
    case "r":
      return { kind: "reset" };
    case "f":
      return { kind: "fullscreen" };
    case "+":
    case "=":
      return { kind: "zoom", factor: ZOOM_STEP };
    case "-":
      return { kind: "zoom", factor: 1 / ZOOM_STEP };
  }
  const arrows: Record<string, [number, number]> = { arrowleft: [-1, 0], arrowright: [1, 0], arrowup: [0, -1], arrowdown: [0, 1] };
  const arrow = arrows[event.key.toLowerCase()];
  if (!arrow) return null;
  const [x, y] = arrow;
  if (tool === "pan") return { kind: "pan", dx: x * PAN_STEP, dy: y * PAN_STEP };
  if (tool === "zoom") return y ? { kind: "zoom", factor: y < 0 ? ZOOM_STEP : 1 / ZOOM_STEP } : null;
  return { kind: "window", dWidth: x * windowStep, dLevel: -y * windowStep };
}
