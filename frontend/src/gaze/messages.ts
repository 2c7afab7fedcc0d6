/** Messages of the gaze WebSocket (`/ws/gaze/<session_id>/`). */

export interface GazeBatchMessage {
  type: "gaze_batch";
  /** This sender's stream id: seq numbers and the device clock belong to it (one per page load). */
  stream: string;
  seq: number;
  device: string;
  samples: { t: number[]; x: number[]; y: number[]; valid: boolean[] };
}

export interface ViewMessage {
  type: "view";
  stream: string;
  seq: number;
  /** Device time (ms, `performance.now()`) from which this view is in force. */
  t: number;
  image_id: number;
  /** Image-pixel coordinates of screen_rect's top-left and bottom-right corners. */
  image_region: [number, number, number, number];
  /** The viewport's bounding rect in client CSS px: left, top, right, bottom. */
  screen_rect: [number, number, number, number];
  window_width: number;
  window_level: number;
  zoom: number;
}

/** A view before the stream has numbered it. */
export type ViewState = Omit<ViewMessage, "type" | "seq" | "stream">;

export interface PingMessage {
  type: "ping";
  stream: string;
  t_client: number;
}

export type ClientMessage = GazeBatchMessage | ViewMessage | PingMessage;

export interface AckMessage {
  type: "ack";
  seq: number;
  kind?: "gaze" | "view" | "gaze_batch";
}

export interface PongMessage {
  type: "pong";
  t_client: number;
  t_server: number;
}

export interface ErrorMessage {
  type: "error";
  seq?: number | null;
  kind?: string;
  reason: string;
  /** Rate limit: the message was dropped unread; resend after this many ms. */
  retry_after_ms?: number;
}

/** Server push: the session's results (the body of `GET /api/sessions/<id>/results/`) when they change. */
export interface ResultsMessage {
  type: "results";
  session_id: number;
  [key: string]: unknown;
}

export type ServerMessage = AckMessage | PongMessage | ErrorMessage | ResultsMessage;

/** Parse a server frame; returns null (never throws) for anything that is not a known message. */
export function parseServerMessage(data: unknown): ServerMessage | null {
  if (typeof data !== "string") return null;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (!value || typeof value !== "object") return null;
  const message = value as Record<string, unknown>;
  switch (message.type) {
    case "ack":
      return typeof message.seq === "number" ? (message as unknown as AckMessage) : null;
    case "pong":
      return typeof message.t_client === "number" ? (message as unknown as PongMessage) : null;
    case "error":
      return {
        type: "error",
        seq: typeof message.seq === "number" ? message.seq : null,
        kind: typeof message.kind === "string" ? message.kind : undefined,
        reason: typeof message.reason === "string" ? message.reason : JSON.stringify(message),
        ...(typeof message.retry_after_ms === "number" && message.retry_after_ms >= 0 ? { retry_after_ms: message.retry_after_ms } : {}),
      };
    case "results":
      return typeof message.session_id === "number" ? (message as unknown as ResultsMessage) : null;
    default:
      return null;
  }
}
