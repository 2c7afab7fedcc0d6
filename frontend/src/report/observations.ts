import type { LabelValue, ReportPayload } from "../api/types";

/** The 14 CheXpert observations, in the order of the labeler. */
export const OBSERVATIONS = [
  "No Finding",
  "Enlarged Cardiomediastinum",
  "Cardiomegaly",
  "Lung Opacity",
  "Lung Lesion",
  "Edema",
  "Consolidation",
  "Pneumonia",
  "Atelectasis",
  "Pneumothorax",
  "Pleural Effusion",
  "Pleural Other",
  "Fracture",
  "Support Devices",
] as const;

export type Observation = (typeof OBSERVATIONS)[number];

export const LABEL_VALUES: ReadonlyArray<{ value: LabelValue; text: string }> = [
  { value: "not_mentioned", text: "not mentioned" },
  { value: "present", text: "present" },
  { value: "absent", text: "absent" },
  { value: "uncertain", text: "uncertain" },
];

/** `data-testid` of an observation's control: `label-` + the name with spaces as dashes. */
export function labelTestId(observation: string): string {
  return `label-${observation.replace(/ /g, "-")}`;
}

/** Build the report payload; every observation gets a value (default `not_mentioned`). */
export function buildReport(
  findings: string,
  impression: string,
  labels: Partial<Record<string, LabelValue>>,
): ReportPayload {
  const out: Record<string, LabelValue> = {};
  for (const name of OBSERVATIONS) {
    const value = labels[name] ?? "not_mentioned";
    if (!LABEL_VALUES.some((v) => v.value === value)) throw new Error(`label ${name}: bad value ${String(value)}`);
    out[name] = value;
  }
  return { findings: findings.trim(), impression: impression.trim(), labels: out };
}
