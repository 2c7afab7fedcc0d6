/**
 * The submitted report as the server keeps it: locked, with every version (first read, second read,
 * amendments: who, when, why), and an amendment form whose reason is required.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { type Http, unwrap } from "../api/http";

const KIND_TEXT: Record<string, string> = { first_read: "First read", second_read: "Second read", amendment: "Amendment" };

export function reportQueryKey(sessionId: number) {
  return ["report", sessionId] as const;
}

export function ReportVersions(props: { http: Http; sessionId: number }) {
  const { http, sessionId } = props;
  const queryClient = useQueryClient();
  const report = useQuery({
    queryKey: reportQueryKey(sessionId),
    queryFn: () => unwrap(http.GET("/api/sessions/{session_id}/report/", { params: { path: { session_id: sessionId } } })),
  });
  const [open, setOpen] = useState(false);
  const [findings, setFindings] = useState("");
  const [impression, setImpression] = useState("");
  const [reason, setReason] = useState("");
  const [problem, setProblem] = useState("");
  const amend = useMutation({
    mutationFn: () => {
      const current = report.data;
      if (!current) throw new Error("the report is not loaded");
      return unwrap(
        http.POST("/api/sessions/{session_id}/report/amendments/", {
          params: { path: { session_id: sessionId } },
          body: { findings: findings.trim(), impression: impression.trim(), labels: current.labels, reason: reason.trim() },
        }),
      );
    },
    onSuccess: () => {
      setOpen(false);
      setReason("");
      void queryClient.invalidateQueries({ queryKey: reportQueryKey(sessionId) });
    },
  });
  const data = report.data;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setProblem("");
    if (!reason.trim()) return setProblem("Say why the report is amended.");
    if (!findings.trim() && !impression.trim()) return setProblem("An amended report needs findings or an impression.");
    amend.mutate();
  };
  return (
    <section className="panel" data-testid="report-versions" aria-labelledby="versions-title">
      <h2 id="versions-title">Report versions</h2>
      {report.error ? <p className="error">Cannot load the report: {(report.error as Error).message}</p> : null}
      {data ? (
        <>
          <p className="small" data-testid="report-version-current">
            Version {data.version} of {data.versions.length}
            {data.locked ? ", locked" : ""}
          </p>
          <ol className="versions">
            {data.versions.map((v) => (
              <li key={v.number} data-testid="report-version" data-kind={v.kind}>
                <strong>{KIND_TEXT[v.kind] ?? v.kind}</strong> {v.author ? `by ${v.author} ` : ""}
                {new Date(v.created_at).toLocaleString()}
                {v.reason ? <span> (reason: {v.reason})</span> : null}
                <span className="muted small"> {v.sentences.length} timed sentences</span>
              </li>
            ))}
          </ol>
          {!open ? (
            <button type="button" data-testid="amend-open" onClick={() => {
              setFindings(data.findings);
              setImpression(data.impression);
              setOpen(true);
            }}>
              Amend the report
            </button>
          ) : (
            <form onSubmit={submit} data-testid="amend-form" aria-label="Amendment">
              <label htmlFor="amend-findings">Amended findings</label>
              <textarea id="amend-findings" rows={4} value={findings} onChange={(e) => setFindings(e.target.value)} />
              <label htmlFor="amend-impression">Amended impression</label>
              <textarea id="amend-impression" rows={2} value={impression} onChange={(e) => setImpression(e.target.value)} />
              <label htmlFor="amend-reason">Reason (required)</label>
              <input id="amend-reason" data-testid="amend-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
              <p className="error" role="alert" data-testid="amend-error">
                {problem || (amend.error ? `Not saved: ${(amend.error as Error).message}` : "")}
              </p>
              <div className="row">
                <button type="submit" className="primary" data-testid="amend-submit" disabled={amend.isPending}>
                  Save the amendment
                </button>
                <button type="button" onClick={() => setOpen(false)}>
                  Cancel
                </button>
              </div>
            </form>
          )}
        </>
      ) : null}
    </section>
  );
}
