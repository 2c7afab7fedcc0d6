/** Findings, impression and the 14 observations. Submitted, the form is locked (read-only) and says so. */
import { type FormEvent, useState } from "react";
import { ApiError } from "../api/client";
import type { LabelValue, ReportPayload } from "../api/types";
import { LABEL_VALUES, OBSERVATIONS, buildReport, labelTestId } from "../report/observations";

export function ReportForm(props: { onSubmit: (report: ReportPayload) => Promise<void> }) {
  const [findings, setFindings] = useState("");
  const [impression, setImpression] = useState("");
  const [labels, setLabels] = useState<Record<string, LabelValue>>(() => Object.fromEntries(OBSERVATIONS.map((n) => [n, "not_mentioned" as LabelValue])));
  const [error, setError] = useState("");
  const [state, setState] = useState<"editing" | "submitting" | "submitted">("editing");
  const locked = state !== "editing";

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
      await props.onSubmit(report);
      setState("submitted");
    } catch (e) {
      setError(e instanceof ApiError ? `Not saved: ${e.message}` : `Not saved: ${String(e)}`);
      setState("editing");
    }
  };

  return (
    <form className="panel report" data-testid="report-form" data-state={state} aria-labelledby="report-title" onSubmit={submit}>
      <h2 id="report-title">Report</h2>
      {state === "submitted" ? (
        <p className="locked" data-testid="report-locked">
          Submitted: this report is locked.
        </p>
      ) : null}
      <label htmlFor="report-findings">Findings</label>
      <textarea id="report-findings" data-testid="report-findings" rows={6} value={findings} readOnly={locked} onChange={(e) => setFindings(e.target.value)} />
      <label htmlFor="report-impression">Impression</label>
      <textarea id="report-impression" data-testid="report-impression" rows={3} value={impression} readOnly={locked} onChange={(e) => setImpression(e.target.value)} />
      <fieldset className="obs" disabled={locked}>
        <legend>Observations</legend>
        {OBSERVATIONS.map((name) => {
          const id = `obs-${labelTestId(name)}`;
          return (
            <div className="obs-row" key={name}>
              <label htmlFor={id}>{name}</label>
              <select id={id} name={name} data-testid={labelTestId(name)} data-value={labels[name]} value={labels[name]} onChange={(e) => setLabels({ ...labels, [name]: e.target.value as LabelValue })}>
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
      <div className="error" role="alert" data-testid="report-errors">
        {error}
      </div>
      <button type="submit" className="primary" data-testid="report-submit" disabled={locked}>
        {state === "submitting" ? "Submitting..." : state === "submitted" ? "Submitted" : "Submit report"}
      </button>
    </form>
  );
}
