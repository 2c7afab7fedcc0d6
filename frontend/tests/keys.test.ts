import { describe, expect, it } from "vitest";
import { PAN_STEP, ZOOM_STEP, isTyping, viewerKeyAction } from "../src/viewer/keys";

const key = (k: string, extra: Partial<{ ctrlKey: boolean; altKey: boolean; metaKey: boolean; shiftKey: boolean; target: unknown }> = {}) => ({
  key: k,
  ctrlKey: false,
  altKey: false,
  metaKey: false,
  shiftKey: false,
  target: null,
  ...extra,
}) as Parameters<typeof viewerKeyAction>[0];

describe("viewerKeyAction", () => {
  it("maps the plain keys", () => {
    expect(viewerKeyAction(key("w"), "pan", 10)).toEqual({ kind: "tool", tool: "windowLevel" });
    expect(viewerKeyAction(key("Z"), "pan", 10)).toEqual({ kind: "tool", tool: "zoom" });
    expect(viewerKeyAction(key("f"), "pan", 10)).toEqual({ kind: "fullscreen" });
    expect(viewerKeyAction(key("+"), "pan", 10)).toEqual({ kind: "zoom", factor: ZOOM_STEP });
    expect(viewerKeyAction(key("-"), "pan", 10)).toEqual({ kind: "zoom", factor: 1 / ZOOM_STEP });
  });

  it("ignores every shortcut with a modifier (Ctrl+F stays the browser's find, Ctrl+Z its undo)", () => {
    for (const modifier of ["ctrlKey", "altKey", "metaKey", "shiftKey"] as const) {
      expect(viewerKeyAction(key("f", { [modifier]: true }), "pan", 10)).toBeNull();
      expect(viewerKeyAction(key("z", { [modifier]: true }), "pan", 10)).toBeNull();
      expect(viewerKeyAction(key("ArrowLeft", { [modifier]: true }), "pan", 10)).toBeNull();
    }
  });

  it("ignores keys typed into text fields and drop-downs", () => {
    for (const tagName of ["INPUT", "TEXTAREA", "SELECT"]) {
      expect(viewerKeyAction(key("w", { target: { tagName } }), "pan", 10)).toBeNull();
    }
    expect(isTyping({ tagName: "DIV", isContentEditable: true } as unknown as EventTarget)).toBe(true);
    expect(viewerKeyAction(key("w", { target: { tagName: "BUTTON" } }), "pan", 10)).not.toBeNull();
  });

  it("makes the arrow keys act by the chosen tool", () => {
    expect(viewerKeyAction(key("ArrowRight"), "pan", 10)).toEqual({ kind: "pan", dx: PAN_STEP, dy: 0 });
    expect(viewerKeyAction(key("ArrowUp"), "zoom", 10)).toEqual({ kind: "zoom", factor: ZOOM_STEP });
    expect(viewerKeyAction(key("ArrowLeft"), "zoom", 10)).toBeNull();
    expect(viewerKeyAction(key("ArrowLeft"), "windowLevel", 10)).toEqual({ kind: "window", dWidth: -10, dLevel: -0 });
    expect(viewerKeyAction(key("ArrowUp"), "windowLevel", 10)).toEqual({ kind: "window", dWidth: 0, dLevel: 10 });
  });
});
