/**
 * Findings, impression and the 14 observations. While the reader types, each sentence's first and last
 * keystroke times are kept (see report/sentences.ts) and sent with the report. Submitted, the form is
 * locked (read-only) and says so. The second read of a `second_read` arm is a second form (`prefix`).
 */
import { type FormEvent, useRef, useState } from "react";
import { ApiError } from "../api/client";
import type { LabelValue, ReportPayload } from "../api/types";
import { LABEL_VALUES, OBSERVATIONS, buildReport, labelTestId } from "../report/observations";
import { SentenceClock, type SentenceSpan } from "../report/sentences";

export type SubmittedReport = ReportPayload & { sentences: SentenceSpan[] };

const FIELDS = ["findings", "impression"];

export function ReportForm(props: {
  onSubmit: (report: SubmittedReport) => Promise<void>;
  /** The ids' and test ids' prefix (default "report"); another form on the page needs another one. */
  prefix?: string;
  title?: string;
  initial?: ReportPayload;
  /** The clock of the keystroke times (default `performance.now()`, the gaze samples' clock). */
  now?: () => number;
}) {
  const prefix = props.prefix ?? "report";
  const testId = (name: string) => (prefix === "report" ? labelTestId(name) : `${prefix}-${labelTestId(name)}`);
  const [findings, setFindings] = useState(props.initial?.findings ?? "");
  const [impression, setImpression] = useState(props.initial?.impression ?? "");
  const [labels, setLabels] = useState<Record<string, LabelValue>>(
    () => ({ ...Object.fromEntries(OBSERVATIONS.map((n) => [n, "not_mentioned" as LabelValue])), ...(props.initial?.labels ?? {}) }),
  );
  const [error, setError] = useState("");
  const [state, setState] = useState<"editing" | "submitting" | "submitted">("editing");
  // Text carried over (a second read starts from the first) was not typed here: only edits get spans.
  const clock = useRef(new SentenceClock());
  const locked = state !== "editing";
  const typed = (field: string, text: string) => clock.current.update(field, text, (props.now ?? (() => performance.now()))());

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError("");
    const report = buildReport(findings, impression, labels);
    if (!report.findings && !report.impression) {
      setError("Write the findings or the impression before submitting.");
      return;
    }
    setState("submitting");
    try {
      await props.onSubmit({ ...report, sentences: clock.current.spans(FIELDS) });
      setState("submitted");
    } catch (e) {
      setError(e instanceof ApiError ? `Not saved: ${e.message}` : `Not saved: ${String(e)}`);
      setState("editing");
    }
  };

  return (
    <form className="panel report" data-testid={`${prefix}-form`} data-state={state} aria-labelledby={`${prefix}-title`} onSubmit={submit}>
      <h2 id={`${prefix}-title`}>{props.title ?? "Report"}</h2>
      {state === "submitted" ? (
        <p className="locked" data-testid={`${prefix}-locked`}>
          Submitted: this report is locked.
        </p>
      ) : null}
      <label htmlFor={`${prefix}-findings`}>Findings</label>
      <textarea id={`${prefix}-findings`} data-testid={`${prefix}-findings`} rows={6} value={findings} readOnly={locked} onChange={(e) => {
        setFindings(e.target.value);
        typed("findings", e.target.value);
      }} />
      <label htmlFor={`${prefix}-impression`}>Impression</label>
      <textarea id={`${prefix}-impression`} data-testid={`${prefix}-impression`} rows={3} value={impression} readOnly={locked} onChange={(e) => {
        setImpression(e.target.value);
        typed("impression", e.target.value);
      }} />
      <fieldset className="obs" disabled={locked}>
        <legend>Observations</legend>
        {OBSERVATIONS.map((name) => {
          const id = `${prefix}-obs-${labelTestId(name)}`;
          return (
            <div className="obs-row" key={name}>
              <label htmlFor={id}>{name}</label>
              <select id={id} name={name} data-testid={testId(name)} data-value={labels[name]} value={labels[name]} onChange={(e) => setLabels({ ...labels, [name]: e.target.value as LabelValue })}>
                {LABEL_VALUES.map((v) => (
                  <option key={v.value} value={v.value}>
                    {v.text}
                  </option>
                ))}
              </select>
            </div>
          );
        })}
      </fieldset>
      <div className="error" role="alert" data-testid={`${prefix}-errors`}>
        {error}
      </div>
      <button type="submit" className="primary" data-testid={`${prefix}-submit`} disabled={locked}>
        {state === "submitting" ? "Submitting..." : state === "submitted" ? "Submitted" : "Submit report"}
      </button>
    </form>
  );
}
