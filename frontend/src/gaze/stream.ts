/**
 * The gaze WebSocket: batches samples every `batchIntervalMs`, numbers batches and view events,
 * keeps them until acknowledged, reconnects with exponential backoff and then resends every
 * unacknowledged message in order, and pings every `pingIntervalMs` for clock sync.
 */
import { Outbox, backoffDelay } from "./outbox";
import {
  type GazeBatchMessage,
  type ResultsMessage,
  type ViewMessage,
  type ViewState,
  parseServerMessage,
} from "./messages";
import type { GazeSample } from "./types";

/** The part of the browser WebSocket the stream uses (a fake can stand in for tests). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code?: number; reason?: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type ConnectionState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

export interface StreamStats {
  connection: ConnectionState;
  /** Samples handed to the stream. */
  samples: number;
  batchesSent: number;
  batchesAcked: number;
  batchesPending: number;
  batchesRejected: number;
  viewsAcked: number;
  viewsPending: number;
  reconnects: number;
  /** Last ping round trip in ms, null before the first pong. */
  rttMs: number | null;
  /** Server time minus client time at the last pong, estimated at the midpoint (ms). */
  clockOffsetMs: number | null;
  lastError: string | null;
}

export interface GazeStreamOptions {
  url: string;
  device: string;
  /** Stream id sent with every message (default: a random id per GazeStream, i.e. per page load). */
  stream?: string;
  socketFactory?: (url: string) => SocketLike;
  now?: () => number;
  batchIntervalMs?: number;
  pingIntervalMs?: number;
  /**
   * Resend a message that is still unacknowledged this long after it was last sent on an open
   * socket (ms; default 15000). The server stores each seq once, so a resend is harmless; this
   * covers a frame lost without the socket closing.
   */
  staleResendMs?: number;
  /** Most samples in one batch (default 1000; the server refuses batches over its own limit). */
  maxSamplesPerBatch?: number;
  backoff?: { baseMs?: number; maxMs?: number; jitter?: number; random?: () => number };
}

const OPEN = 1;

/** WebSocket URL for a path the server returned (`ws_path`), on this page's host. */
export function socketUrl(wsPath: string, location: { protocol: string; host: string }): string {
  if (/^wss?:\/\//.test(wsPath)) return wsPath;
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${wsPath}`;
}

/** A random stream id (letters and digits). */
export function randomStreamId(): string {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class GazeStream {
  readonly gaze = new Outbox<GazeBatchMessage>();
  readonly views = new Outbox<ViewMessage>();
  private readonly url: string;
  private device: string;
  /** Seq numbers and device times are per stream; a reloaded page starts a new one. */
  readonly stream: string;
  private readonly socketFactory: (url: string) => SocketLike;
  private readonly now: () => number;
  private readonly batchIntervalMs: number;
  private readonly pingIntervalMs: number;
  private readonly backoff: GazeStreamOptions["backoff"];
  private readonly staleResendMs: number;
  private readonly maxSamplesPerBatch: number;
  /** When each unacknowledged message was last put on an open socket (by kind and seq). */
  private readonly sentAt = new Map<string, number>();
  private socket: SocketLike | null = null;
  private buffer: GazeSample[] = [];
  private attempt = 0;
  private closedByUser = false;
  private batchTimer: ReturnType<typeof setInterval> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly listeners = new Set<(stats: StreamStats) => void>();
  private readonly resultsListeners = new Set<(message: ResultsMessage) => void>();
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly state: Omit<
    StreamStats,
    "batchesAcked" | "batchesPending" | "batchesRejected" | "viewsAcked" | "viewsPending"
  > = {
    connection: "idle",
    samples: 0,
    batchesSent: 0,
    reconnects: 0,
    rttMs: null,
    clockOffsetMs: null,
    lastError: null,
  };

  constructor(options: GazeStreamOptions) {
    this.url = options.url;
    this.device = options.device;
    this.stream = options.stream ?? randomStreamId();
    this.socketFactory =
      options.socketFactory ?? ((url) => new WebSocket(url) as unknown as SocketLike);
    this.now = options.now ?? (() => performance.now());
    this.batchIntervalMs = options.batchIntervalMs ?? 100;
    this.pingIntervalMs = options.pingIntervalMs ?? 5000;
    this.backoff = options.backoff;
    this.staleResendMs = options.staleResendMs ?? 15000;
    this.maxSamplesPerBatch = Math.max(1, options.maxSamplesPerBatch ?? 1000);
  }

  /** Open the socket and start the batch and ping timers. */
  connect(): void {
    this.closedByUser = false;
    if (!this.batchTimer) this.batchTimer = setInterval(() => this.flush(), this.batchIntervalMs);
    if (!this.pingTimer) {
      this.pingTimer = setInterval(() => {
        this.ping();
        this.resendStale();
      }, this.pingIntervalMs);
    }
    this.open();
  }

  /** Change the device name used for the following batches (e.g. when the tracker changes). */
  setDevice(device: string): void {
    this.flush();
    this.device = device;
  }

  /** Queue samples; they leave with the next batch. */
  addSamples(samples: GazeSample[]): void {
    if (samples.length === 0 || this.closedByUser) return;
    for (const sample of samples) this.buffer.push(sample);
    this.state.samples += samples.length;
    this.emit();
  }

  /**
   * Turn buffered samples into numbered batches (several when a throttled background tab let more
   * than `maxSamplesPerBatch` pile up) and send them (kept until acknowledged). Returns the last.
   */
  flush(): GazeBatchMessage | null {
    let last: GazeBatchMessage | null = null;
    while (this.buffer.length > 0) {
      last = this.pushBatch(this.buffer.splice(0, this.maxSamplesPerBatch));
    }
    if (last) this.emit();
    return last;
  }

  private pushBatch(samples: GazeSample[]): GazeBatchMessage {
    const message = this.gaze.push((seq) => ({
      type: "gaze_batch",
      stream: this.stream,
      seq,
      device: this.device,
      samples: {
        t: samples.map((s) => s.t),
        x: samples.map((s) => s.x),
        y: samples.map((s) => s.y),
        valid: samples.map((s) => s.valid),
      },
    }));
    this.state.batchesSent += 1;
    this.trySend(message);
    return message;
  }

  /** Number and send a view event (kept until acknowledged); ignored (null) after {@link close}. */
  sendView(view: ViewState): ViewMessage | null {
    if (this.closedByUser) return null;
    const message = this.views.push((seq) => ({ type: "view", stream: this.stream, seq, ...view }));
    this.trySend(message);
    this.emit();
    return message;
  }

  /** Send a clock-sync ping now (when connected). */
  ping(): void {
    if (this.socket?.readyState === OPEN) {
      this.socket.send(JSON.stringify({ type: "ping", stream: this.stream, t_client: this.now() }));
    }
  }

  /** True when nothing is buffered and every batch and view has been acknowledged. */
  get drained(): boolean {
    return this.buffer.length === 0 && this.gaze.size === 0 && this.views.size === 0;
  }

  /** Flush, then wait until everything is acknowledged or `timeoutMs` passes; resolves to `drained`. */
  async drain(timeoutMs = 5000): Promise<boolean> {
    this.flush();
    const deadline = Date.now() + timeoutMs;
    while (!this.drained && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.drained;
  }

  /** Stop timers and close the socket for good. Unacknowledged messages stay in the outboxes. */
  close(): void {
    this.flush();
    this.closedByUser = true;
    if (this.batchTimer) clearInterval(this.batchTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.batchTimer = this.pingTimer = this.reconnectTimer = this.retryTimer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.close(1000, "closed by client");
    }
    this.state.connection = "closed";
    this.emit();
  }

  stats(): StreamStats {
    return {
      ...this.state,
      batchesAcked: this.gaze.acked,
      batchesPending: this.gaze.size,
      batchesRejected: this.gaze.rejected,
      viewsAcked: this.views.acked,
      viewsPending: this.views.size,
    };
  }

  /** Listen to every change of {@link stats}; returns an unsubscribe function. */
  onChange(listener: (stats: StreamStats) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Listen to the server's pushed results (`{"type": "results"}`); returns an unsubscribe function. */
  onResults(listener: (message: ResultsMessage) => void): () => void {
    this.resultsListeners.add(listener);
    return () => this.resultsListeners.delete(listener);
  }

  /**
   * A rate-limit refusal drops a message unread (its seq is unknown): resend everything still
   * unacknowledged once the server's `retry_after_ms` has passed, rather than after `staleResendMs`.
   * The server stores each seq once, so resending what did arrive is harmless.
   */
  private scheduleRetry(delayMs: number): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      const socket = this.socket;
      if (socket?.readyState !== OPEN) return;
      for (const view of this.views.unacked()) this.trySend(view, socket);
      for (const batch of this.gaze.unacked()) this.trySend(batch, socket);
    }, delayMs);
  }

  private emit(): void {
    const stats = this.stats();
    for (const listener of this.listeners) listener(stats);
  }

  private trySend(message: GazeBatchMessage | ViewMessage, socket: SocketLike | null = this.socket): void {
    if (socket?.readyState !== OPEN) return;
    socket.send(JSON.stringify(message));
    this.sentAt.set(`${message.type}:${message.seq}`, this.now());
  }

  /** Resend what has waited longer than `staleResendMs` for its acknowledgement on an open socket. */
  resendStale(): void {
    if (this.socket?.readyState !== OPEN) return;
    const limit = this.now() - this.staleResendMs;
    for (const message of [...this.views.unacked(), ...this.gaze.unacked()]) {
      const sent = this.sentAt.get(`${message.type}:${message.seq}`);
      if (sent !== undefined && sent <= limit) this.trySend(message);
    }
  }

  private open(): void {
    if (this.closedByUser) return;
    this.state.connection = this.attempt === 0 && this.state.reconnects === 0 ? "connecting" : "reconnecting";
    this.emit();
    let socket: SocketLike;
    try {
      socket = this.socketFactory(this.url);
    } catch (error) {
      this.state.lastError = `cannot open ${this.url}: ${String(error)}`;
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.attempt = 0;
      this.state.connection = "open";
      // Views first: the server maps each sample with the view in force at its timestamp.
      for (const view of this.views.unacked()) this.trySend(view, socket);
      for (const batch of this.gaze.unacked()) this.trySend(batch, socket);
      this.ping();
      this.emit();
    };
    socket.onmessage = (event) => {
      if (this.socket === socket) this.handle(event.data);
    };
    socket.onerror = () => {
      /* onclose follows and schedules the reconnect */
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (event?.code && event.code >= 4000) {
        this.state.lastError = `connection refused (${event.code}${event.reason ? `: ${event.reason}` : ""})`;
      }
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.closedByUser) return;
    this.state.connection = "reconnecting";
    this.state.reconnects += 1;
    const delay = backoffDelay(this.attempt, this.backoff);
    this.attempt += 1;
    this.emit();
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.open();
    }, delay);
  }

  private handle(data: unknown): void {
    const message = parseServerMessage(data);
    if (!message) return;
    if (message.type === "ack") {
      if (message.kind === "view") {
        this.views.ack(message.seq);
        this.sentAt.delete(`view:${message.seq}`);
      } else {
        this.gaze.ack(message.seq);
        this.sentAt.delete(`gaze_batch:${message.seq}`);
      }
    } else if (message.type === "pong") {
      const now = this.now();
      this.state.rttMs = now - message.t_client;
      if (typeof message.t_server === "number") {
        this.state.clockOffsetMs = message.t_server - (message.t_client + now) / 2;
      }
    } else if (message.type === "results") {
      for (const listener of this.resultsListeners) listener(message);
      return;
    } else {
      this.state.lastError = message.reason;
      if (message.retry_after_ms !== undefined) this.scheduleRetry(message.retry_after_ms);
      if (message.seq != null) {
        // An error names its message by seq; without a kind, it is attributed only when exactly
        // one outbox holds that seq (gaze batches and views have separate counters).
        const inViews = this.views.unacked().some((m) => m.seq === message.seq);
        const inGaze = this.gaze.unacked().some((m) => m.seq === message.seq);
        let kind: "view" | "gaze_batch" | null = null;
        if (message.kind === "view") kind = "view";
        else if (message.kind === "gaze_batch" || message.kind === "gaze") kind = "gaze_batch";
        else if (inViews !== inGaze) kind = inViews ? "view" : "gaze_batch";
        if (kind) {
          (kind === "view" ? this.views : this.gaze).reject(message.seq);
          this.sentAt.delete(`${kind}:${message.seq}`);
        }
      }
    }
    this.emit();
  }
}
