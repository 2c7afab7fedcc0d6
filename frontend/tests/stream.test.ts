import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { GazeBatchMessage, ViewState } from "../src/gaze/messages";
import { GazeStream, type SocketLike } from "../src/gaze/stream";

/** A fake WebSocket the test opens, closes and answers by hand. */
class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: Array<Record<string, unknown>> = [];
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code?: number; reason?: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string): void {
    if (this.readyState !== 1) throw new Error("send on a socket that is not open");
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  reply(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  batches(): GazeBatchMessage[] {
    return this.sent.filter((m) => m.type === "gaze_batch") as unknown as GazeBatchMessage[];
  }
}

const sample = (t: number) => ({ t, x: 100 + t, y: 200 + t, valid: true });
const view: ViewState = {
  t: 1,
  image_id: 3,
  image_region: [0, 0, 100, 100],
  screen_rect: [10, 20, 110, 120],
  window_width: 400,
  window_level: 40,
  zoom: 1,
};

let clock = 0;
function makeStream(): GazeStream {
  return new GazeStream({
    url: "ws://host/ws/gaze/7/",
    device: "browser-simulator",
    stream: "web-test",
    socketFactory: (url) => new FakeSocket(url),
    now: () => clock,
    backoff: { baseMs: 100, maxMs: 1000, jitter: 0 },
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.all = [];
  clock = 0;
});
afterEach(() => {
  vi.useRealTimers();
});

describe("GazeStream", () => {
  it("batches samples every 100 ms into the contract's gaze_batch shape", () => {
    const stream = makeStream();
    stream.connect();
    const socket = FakeSocket.all[0];
    socket.open();
    stream.addSamples([sample(0), sample(4)]);
    stream.addSamples([{ t: 8, x: Number.NaN, y: Number.NaN, valid: false }]);
    vi.advanceTimersByTime(100);
    // Invalid samples carry null coordinates on the wire.
    expect(socket.batches()).toEqual([
      {
        type: "gaze_batch",
        stream: "web-test",
        seq: 0,
        device: "browser-simulator",
        samples: { t: [0, 4, 8], x: [100, 104, null], y: [200, 204, null], valid: [true, true, false] },
      },
    ]);
    vi.advanceTimersByTime(100);
    expect(socket.batches()).toHaveLength(1); // no empty batches
    stream.addSamples([sample(12)]);
    vi.advanceTimersByTime(100);
    expect(socket.batches().map((b) => b.seq)).toEqual([0, 1]);
    stream.close();
  });

  it("splits a backlog into batches of at most maxSamplesPerBatch, in time order", () => {
    const stream = new GazeStream({
      url: "ws://host/ws/gaze/7/",
      device: "d",
      socketFactory: (url) => new FakeSocket(url),
      maxSamplesPerBatch: 4,
    });
    stream.connect();
    const socket = FakeSocket.all[0];
    socket.open();
    stream.addSamples(Array.from({ length: 10 }, (_, i) => sample(i)));
    stream.flush();
    expect(socket.batches().map((b) => [b.seq, b.samples.t])).toEqual([
      [0, [0, 1, 2, 3]],
      [1, [4, 5, 6, 7]],
      [2, [8, 9]],
    ]);
    stream.close();
  });

  it("drops acknowledged batches and resends the rest in order after a reconnect", () => {
    const stream = makeStream();
    stream.connect();
    let socket = FakeSocket.all[0];
    socket.open();
    for (let i = 0; i < 4; i++) {
      stream.addSamples([sample(i)]);
      stream.flush();
    }
    socket.reply({ type: "ack", seq: 0 });
    socket.reply({ type: "ack", seq: 2 });
    expect(stream.stats()).toMatchObject({ batchesAcked: 2, batchesPending: 2 });

    socket.drop();
    expect(stream.stats().connection).toBe("reconnecting");
    // Samples keep coming while disconnected: they are batched and kept.
    stream.addSamples([sample(10)]);
    stream.flush();
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(100); // first backoff step
    expect(FakeSocket.all).toHaveLength(2);
    socket = FakeSocket.all[1];
    socket.open();
    expect(socket.batches().map((b) => b.seq)).toEqual([1, 3, 4]);
    expect(socket.batches()[0].samples.t).toEqual([1]);
    for (const seq of [1, 3, 4]) socket.reply({ type: "ack", seq });
    expect(stream.stats()).toMatchObject({ batchesAcked: 5, batchesPending: 0, reconnects: 1, connection: "open" });
    expect(stream.drained).toBe(true);
    stream.close();
  });

  it("backs off exponentially while the server stays away", () => {
    const stream = makeStream();
    stream.connect();
    FakeSocket.all[0].drop();
    vi.advanceTimersByTime(99);
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.all[1].drop();
    vi.advanceTimersByTime(199);
    expect(FakeSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(3);
    // A successful open resets the backoff.
    FakeSocket.all[2].open();
    FakeSocket.all[2].drop();
    vi.advanceTimersByTime(100);
    expect(FakeSocket.all).toHaveLength(4);
    stream.close();
  });

  it("numbers view events on their own counter and resends them before batches", () => {
    const stream = makeStream();
    stream.connect();
    stream.sendView(view);
    stream.addSamples([sample(1)]);
    stream.flush();
    stream.sendView({ ...view, t: 5, zoom: 2 });
    const socket = FakeSocket.all[0];
    socket.open();
    expect(socket.sent.filter((m) => m.type !== "ping").map((m) => [m.type, m.seq])).toEqual([
      ["view", 0],
      ["view", 1],
      ["gaze_batch", 0],
    ]);
    expect(socket.sent[0]).toEqual({ type: "view", stream: "web-test", seq: 0, ...view });
    // A view ack does not acknowledge the gaze batch with the same seq.
    socket.reply({ type: "ack", kind: "view", seq: 0 });
    expect(stream.stats()).toMatchObject({ viewsAcked: 1, viewsPending: 1, batchesAcked: 0, batchesPending: 1 });
    socket.reply({ type: "ack", seq: 0 });
    expect(stream.stats()).toMatchObject({ viewsPending: 1, batchesAcked: 1, batchesPending: 0 });
    stream.close();
  });

  it("shows the server's error reason and stops resending a rejected batch", () => {
    const stream = makeStream();
    stream.connect();
    const socket = FakeSocket.all[0];
    socket.open();
    stream.addSamples([sample(1)]);
    stream.flush();
    socket.reply({ type: "error", seq: 0, reason: "samples.t: not increasing" });
    expect(stream.stats()).toMatchObject({ lastError: "samples.t: not increasing", batchesRejected: 1, batchesPending: 0 });
    stream.close();
  });

  it("attributes an error without a kind to the only outbox holding that seq", () => {
    const stream = makeStream();
    stream.connect();
    const socket = FakeSocket.all[0];
    socket.open();
    stream.sendView(view); // view 0
    stream.addSamples([sample(1)]);
    stream.flush(); // batch 0
    stream.sendView({ ...view, zoom: 3 }); // view 1
    socket.reply({ type: "ack", seq: 0 });
    socket.reply({ type: "error", seq: 1, reason: "session closed" });
    expect(stream.stats()).toMatchObject({ viewsPending: 1, lastError: "session closed" });
    expect(stream.views.unacked().map((m) => m.seq)).toEqual([0]);
    // seq 0 is pending only as a view now, so the error is the view's.
    stream.addSamples([sample(2)]);
    stream.flush(); // batch 1
    socket.reply({ type: "error", seq: 0, reason: "bad view" });
    expect(stream.stats()).toMatchObject({ viewsPending: 0, batchesPending: 1, batchesRejected: 0 });
    stream.close();
  });

  it("pings every 5 s and measures the round trip", () => {
    const stream = makeStream();
    stream.connect();
    const socket = FakeSocket.all[0];
    clock = 1000;
    socket.open();
    expect(socket.sent.at(-1)).toEqual({ type: "ping", stream: "web-test", t_client: 1000 });
    clock = 6000;
    vi.advanceTimersByTime(5000);
    expect(socket.sent.at(-1)).toEqual({ type: "ping", stream: "web-test", t_client: 6000 });
    clock = 6012;
    socket.reply({ type: "pong", t_client: 6000, t_server: 123456 });
    expect(stream.stats().rttMs).toBe(12);
    stream.close();
  });

  it("ignores frames that are not JSON or not known messages", () => {
    const stream = makeStream();
    stream.connect();
    const socket = FakeSocket.all[0];
    socket.open();
    socket.onmessage?.({ data: "not json" });
    socket.reply({ type: "ack" });
    socket.reply({ hello: 1 });
    expect(stream.stats()).toMatchObject({ batchesAcked: 0, lastError: null });
    stream.close();
  });

  it("resends a batch that waited too long for its ack on an open socket", () => {
    const stream = makeStream();
    stream.connect();
    const socket = FakeSocket.all[0];
    socket.open();
    stream.addSamples([sample(1)]);
    stream.flush();
    stream.addSamples([sample(2)]);
    stream.flush();
    socket.reply({ type: "ack", seq: 1 });
    clock = 10_000;
    vi.advanceTimersByTime(10_000);
    expect(socket.batches().map((b) => b.seq)).toEqual([0, 1]);
    clock = 16_000;
    vi.advanceTimersByTime(5_000);
    expect(socket.batches().map((b) => b.seq)).toEqual([0, 1, 0]);
    socket.reply({ type: "ack", seq: 0 });
    clock = 60_000;
    vi.advanceTimersByTime(40_000);
    expect(socket.batches().map((b) => b.seq)).toEqual([0, 1, 0]);
    stream.close();
  });

  it("does not reconnect after close()", () => {
    const stream = makeStream();
    stream.connect();
    FakeSocket.all[0].open();
    stream.close();
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(stream.sendView(view)).toBeNull();
    stream.addSamples([sample(1)]);
    expect(stream.stats()).toMatchObject({ samples: 0, viewsPending: 0 });
    expect(stream.stats().connection).toBe("closed");
  });
});

describe("stream ids", () => {
  it("gives every GazeStream (page load) its own random id, valid for the server", () => {
    const a = new GazeStream({ url: "ws://h/ws/gaze/1/", device: "d", socketFactory: (u) => new FakeSocket(u) });
    const b = new GazeStream({ url: "ws://h/ws/gaze/1/", device: "d", socketFactory: (u) => new FakeSocket(u) });
    expect(a.stream).not.toEqual(b.stream);
    expect(a.stream).toMatch(/^[A-Za-z0-9_.-]{1,64}$/);
  });

  it("hands pushed results to its listeners and keeps acking batches", () => {
    const stream = makeStream();
    const pushed: unknown[] = [];
    stream.onResults((message) => pushed.push(message));
    stream.connect();
    const socket = FakeSocket.all[0];
    socket.open();
    stream.addSamples([sample(0)]);
    vi.advanceTimersByTime(100);
    socket.reply({ type: "results", session_id: 7, status: "done", prediction: { status: "done" } });
    socket.reply({ type: "ack", seq: 0 });
    expect(pushed).toEqual([{ type: "results", session_id: 7, status: "done", prediction: { status: "done" } }]);
    expect(stream.stats().batchesAcked).toBe(1);
    expect(stream.stats().lastError).toBeNull();
    stream.close();
  });

  it("resends what is unacknowledged after a rate limit's retry_after_ms, long before the stale timeout", () => {
    const stream = makeStream();
    stream.connect();
    const socket = FakeSocket.all[0];
    socket.open();
    stream.addSamples([sample(0)]);
    vi.advanceTimersByTime(100);
    expect(socket.batches()).toHaveLength(1);
    socket.reply({ type: "error", seq: null, reason: "rate limit: resend in 300 ms", retry_after_ms: 300 });
    vi.advanceTimersByTime(250);
    expect(socket.batches()).toHaveLength(1);
    vi.advanceTimersByTime(100);
    expect(socket.batches().map((b) => b.seq)).toEqual([0, 0]);
    socket.reply({ type: "ack", seq: 0 });
    expect(stream.drained).toBe(true);
    stream.close();
  });
});
