import { describe, expect, it } from "vitest";
import { isSynthetic } from "../src/pages/ReadingPage";

describe("isSynthetic", () => {
  it("flags the studies seed_demo titles as synthetic, and no others", () => {
    expect(isSynthetic({ title: "SYNTHETIC image: the real CR inverted and relabelled MONOCHROME1 (not an acquisition)" })).toBe(true);
    expect(isSynthetic({ title: "CR chest PA" })).toBe(false);
    expect(isSynthetic({ title: "Nonsynthetic-looking" })).toBe(false);
  });
});
