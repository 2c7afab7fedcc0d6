/**
 * Types used by the gaze and viewer modules and by `ApiClient` (the DICOMweb side). Pages use the
 * generated `schema.d.ts` through `http.ts`; these stay for the modules kept as they were.
 */

export type Role = string;

export interface User {
  id: number;
  username: string;
  roles: Role[];
}

export interface Study {
  id: number;
  title: string;
  indication: string;
  history: string;
  image_ids: number[];
}

export type AssignmentStatus = "pending" | "in_progress" | "done";

export interface WorklistItem {
  /** Assignment id. */
  id: number;
  study: Study;
  status: AssignmentStatus;
  project: string;
}

export interface StartedSession {
  session_id: number | string;
  ws_path: string;
  study: Study;
}

export type PhotometricInterpretation = "MONOCHROME1" | "MONOCHROME2";

export interface ImageMeta {
  id: number;
  rows: number;
  columns: number;
  bits_stored: number;
  photometric_interpretation: PhotometricInterpretation;
  rescale_slope: number;
  rescale_intercept: number;
  window_center: number | null;
  window_width: number | null;
  /** [row spacing, column spacing] in mm, or null when unknown. */
  pixel_spacing: [number, number] | null;
  view_position: string;
  display_url: string;
  /** DICOMweb coordinates of the image. */
  study_uid: string;
  series_uid: string;
  sop_uid: string;
  /** WADO-RS instance URL: `/api/dicomweb/studies/{study}/series/{series}/instances/{sop}`. */
  wado_rs_url: string;
}

export type LabelValue = "present" | "absent" | "uncertain" | "not_mentioned";

export interface ReportPayload {
  findings: string;
  impression: string;
  labels: Record<string, LabelValue>;
}

export type ResultsStatus = "pending" | "running" | "done" | "failed";

export interface HeatmapInfo {
  /** PNG with alpha, image-sized, already colour-mapped. */
  url: string;
  width: number;
  height: number;
}

export interface Prediction {
  status: "no_model" | "pending" | "done" | "failed";
  message: string;
  probabilities: Record<string, number> | null;
  findings: string | null;
  attention_url: string | null;
}

export interface Results {
  status: ResultsStatus;
  error: string | null;
  fixation_count: number | null;
  heatmap: HeatmapInfo | null;
  prediction: Prediction;
}

/** Field errors as DRF returns them: `{field: ["message", ...]}` or `{detail: "..."}`. */
export type FieldErrors = Record<string, unknown>;
