import { describe, expect, it } from "vitest";
import { SentenceClock, splitSentences } from "../src/report/sentences";

describe("sentence spans", () => {
  it("splits after . ! ? followed by white space and at line breaks", () => {
    expect(splitSentences("Heart normal. Lungs clear!\nNo effusion?  Stable")).toEqual(["Heart normal.", "Lungs clear!", "No effusion?", "Stable"]);
    expect(splitSentences("  ")).toEqual([]);
  });

  it("keeps each sentence's first and last keystroke; untouched sentences keep their span", () => {
    const clock = new SentenceClock();
    clock.update("findings", "Heart", 100);
    clock.update("findings", "Heart normal.", 200);
    clock.update("findings", "Heart normal. Lu", 300);
    clock.update("findings", "Heart normal. Lungs clear.", 400);
    clock.update("impression", "Normal.", 500);
    expect(clock.spans(["findings", "impression"])).toEqual([
      { text: "Heart normal.", start_ms: 100, end_ms: 200 },
      { text: "Lungs clear.", start_ms: 300, end_ms: 400 },
      { text: "Normal.", start_ms: 500, end_ms: 500 },
    ]);
  });

  it("never lets a start go back in report order (a sentence typed first but placed later)", () => {
    const clock = new SentenceClock();
    clock.update("impression", "Normal.", 100);
    clock.update("findings", "Lungs clear.", 200);
    expect(clock.spans(["findings", "impression"])).toEqual([
      { text: "Lungs clear.", start_ms: 200, end_ms: 200 },
      { text: "Normal.", start_ms: 200, end_ms: 200 },
    ]);
  });
});
