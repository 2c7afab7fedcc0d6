import { describe, expect, it } from "vitest";
import { Outbox, backoffDelay } from "../src/gaze/outbox";

describe("Outbox", () => {
  it("numbers messages 0, 1, 2, ... and keeps them until acknowledged", () => {
    const box = new Outbox<{ seq: number; body: string }>();
    const seqs = ["a", "b", "c"].map((body) => box.push((seq) => ({ seq, body })).seq);
    expect(seqs).toEqual([0, 1, 2]);
    expect(box.size).toBe(3);
    expect(box.ack(1)).toBe(true);
    expect(box.unacked().map((m) => m.body)).toEqual(["a", "c"]);
    expect(box.acked).toBe(1);
  });

  it("ignores duplicate and unknown acks", () => {
    const box = new Outbox<{ seq: number }>();
    box.push((seq) => ({ seq }));
    expect(box.ack(0)).toBe(true);
    expect(box.ack(0)).toBe(false);
    expect(box.ack(7)).toBe(false);
    expect(box.acked).toBe(1);
    expect(box.size).toBe(0);
  });

  it("hands out unacknowledged messages in seq order whatever the ack order", () => {
    const box = new Outbox<{ seq: number }>();
    for (let i = 0; i < 6; i++) box.push((seq) => ({ seq }));
    box.ack(4);
    box.ack(0);
    box.ack(2);
    expect(box.unacked().map((m) => m.seq)).toEqual([1, 3, 5]);
    expect(box.next).toBe(6);
  });

  it("drops rejected messages and counts them apart", () => {
    const box = new Outbox<{ seq: number }>();
    box.push((seq) => ({ seq }));
    box.push((seq) => ({ seq }));
    expect(box.reject(0)).toBe(true);
    expect(box.rejected).toBe(1);
    expect(box.acked).toBe(0);
    expect(box.unacked().map((m) => m.seq)).toEqual([1]);
  });

  it("refuses a builder that changes the assigned seq", () => {
    const box = new Outbox<{ seq: number }>();
    expect(() => box.push(() => ({ seq: 5 }))).toThrow(/seq 5/);
  });
});

describe("backoffDelay", () => {
  it("doubles from the base and stops at the cap", () => {
    const noJitter = { baseMs: 100, maxMs: 1000, jitter: 0 };
    expect([0, 1, 2, 3, 4, 5, 10].map((a) => backoffDelay(a, noJitter))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it("stays within the jitter band", () => {
    expect(backoffDelay(2, { baseMs: 100, jitter: 0.2, random: () => 0 })).toBe(320);
    expect(backoffDelay(2, { baseMs: 100, jitter: 0.2, random: () => 1 })).toBe(480);
  });
});
