import { describe, expect, it } from "vitest";
import { type WorklistItem, nextCase } from "../src/pages/WorklistPage";

const item = (id: number, status: "pending" | "in_progress" | "done") =>
  ({ id, status, project: "p", study: { id, title: `s${id}`, indication: "", history: "", image_ids: [id * 10] } }) as WorklistItem;

describe("nextCase", () => {
  const items = [item(1, "done"), item(2, "pending"), item(3, "in_progress"), item(4, "pending")];
  it("from the worklist: the case in progress, else the first to read", () => {
    expect(nextCase(items)?.id).toBe(3);
    expect(nextCase([item(1, "done"), item(2, "pending")])?.id).toBe(2);
    expect(nextCase([item(1, "done")])).toBeUndefined();
  });
  it("while reading: the next case in worklist order that is not done, wrapping around", () => {
    expect(nextCase(items, 2)?.id).toBe(3);
    expect(nextCase(items, 3)?.id).toBe(4);
    expect(nextCase(items, 4)?.id).toBe(2);
    expect(nextCase([item(1, "in_progress")], 1)).toBeUndefined();
  });
});
