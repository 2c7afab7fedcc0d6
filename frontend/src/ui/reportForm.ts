import { ApiError } from "../api/client";
import type { LabelValue, ReportPayload } from "../api/types";
import { LABEL_VALUES, OBSERVATIONS, buildReport, labelTestId } from "../report/observations";
import { h } from "./dom";

/** Findings, impression and the 14 observations; `submit` is awaited and its errors shown. */
export function reportForm(submit: (report: ReportPayload) => Promise<void>): HTMLElement {
  const findings = h("textarea", { id: "report-findings", "data-testid": "report-findings", rows: 6, placeholder: "Findings" });
  const impression = h("textarea", { id: "report-impression", "data-testid": "report-impression", rows: 3, placeholder: "Impression" });
  const selects = new Map<string, HTMLSelectElement>();
  const labelRows = OBSERVATIONS.map((name) => {
    const id = `obs-${labelTestId(name)}`;
    const select = h(
      "select",
      { id, name, "data-testid": labelTestId(name), "data-value": "not_mentioned" },
      LABEL_VALUES.map((v) => h("option", { value: v.value }, v.text)),
    );
    select.addEventListener("change", () => (select.dataset.value = select.value));
    selects.set(name, select);
    return h("div", { class: "obs-row" }, h("label", { for: id }, name), select);
  });
  const errors = h("div", { class: "error", role: "alert", "data-testid": "report-errors" });
  const button = h("button", { type: "submit", class: "primary", "data-testid": "report-submit" }, "Submit report");
  const form = h(
    "form",
    { class: "panel report", "data-testid": "report-form" },
    h("h3", {}, "Report"),
    h("label", { for: "report-findings" }, "Findings"),
    findings,
    h("label", { for: "report-impression" }, "Impression"),
    impression,
    h("h4", {}, "Observations"),
    h("div", { class: "obs" }, labelRows),
    errors,
    button,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.textContent = "";
    const labels: Record<string, LabelValue> = {};
    for (const [name, select] of selects) labels[name] = select.value as LabelValue;
    const report = buildReport(findings.value, impression.value, labels);
    if (!report.findings && !report.impression) {
      errors.textContent = "Write the findings or the impression before submitting.";
      return;
    }
    button.disabled = true;
    button.textContent = "Submitting...";
    try {
      await submit(report);
      for (const control of form.querySelectorAll<HTMLInputElement>("textarea, select, button")) control.disabled = true;
      button.textContent = "Submitted";
    } catch (error) {
      errors.textContent = error instanceof ApiError ? `Not saved: ${error.message}` : `Not saved: ${String(error)}`;
      button.disabled = false;
      button.textContent = "Submit report";
    }
  });
  return form;
}
