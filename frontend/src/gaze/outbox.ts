/**
 * Keep-until-acknowledged message store: every message gets the next sequence number
 * (0, 1, 2, ...), stays until the server acknowledges (or rejects) it, and is handed out
 * again, in order, for a resend after a reconnect.
 */
export class Outbox<M extends { seq: number }> {
  private nextSeq = 0;
  private readonly pending = new Map<number, M>();
  private ackedCount = 0;
  private rejectedCount = 0;

  /** Assign the next sequence number to a message built by `build` and keep it. */
  push(build: (seq: number) => M): M {
    const message = build(this.nextSeq);
    if (message.seq !== this.nextSeq) throw new Error(`message seq ${message.seq} != assigned ${this.nextSeq}`);
    this.nextSeq += 1;
    this.pending.set(message.seq, message);
    return message;
  }

  /** Drop an acknowledged message; returns false for unknown or already acknowledged seqs. */
  ack(seq: number): boolean {
    if (!this.pending.delete(seq)) return false;
    this.ackedCount += 1;
    return true;
  }

  /** Drop a message the server refused for good (it would be refused again on resend). */
  reject(seq: number): boolean {
    if (!this.pending.delete(seq)) return false;
    this.rejectedCount += 1;
    return true;
  }

  /** Unacknowledged messages in ascending seq order. */
  unacked(): M[] {
    return [...this.pending.values()].sort((a, b) => a.seq - b.seq);
  }

  get size(): number {
    return this.pending.size;
  }

  get acked(): number {
    return this.ackedCount;
  }

  get rejected(): number {
    return this.rejectedCount;
  }

  /** The seq the next message will get (= number of messages pushed so far). */
  get next(): number {
    return this.nextSeq;
  }
}

/**
 * Reconnect delay in ms for the given attempt (0-based): exponential from `baseMs`, capped at
 * `maxMs`, with +-`jitter` relative randomisation so that many readers do not reconnect in step.
 */
export function backoffDelay(
  attempt: number,
  { baseMs = 250, maxMs = 8000, jitter = 0.2, random = Math.random }: {
    baseMs?: number;
    maxMs?: number;
    jitter?: number;
    random?: () => number;
  } = {},
): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  const factor = 1 + jitter * (2 * random() - 1);
  return Math.max(0, Math.round(raw * factor));
}
