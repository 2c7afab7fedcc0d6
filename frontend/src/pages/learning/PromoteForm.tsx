/**
 * Promote a candidate for a reading project (engineers): POST .../model/promote/ queues the evaluation on a
 * frozen held-out set (202, status queued); the form polls GET /api/model-evaluations/{id}/ until it is done
 * or failed, then refreshes the project's model, the evaluations and the versions.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { type Schemas, unwrap } from "../../api/http";
import { useServices } from "../../app/context";
import { ErrorLine } from "../../app/page";
import { KEYS, num } from "../../learning/common";
import { FormFooter, SplitSelect, useLearningOptions } from "../../learning/fields";

const POLL_MS = 2000;
const SETTLED = new Set(["done", "failed"]);

/** One line about a queued or finished evaluation. */
export function evaluationText(e: Schemas["ModelEvaluationOutput"]): string {
  const status = e.status ?? "done";
  if (status === "queued" || status === "running") return `Evaluation #${e.id} is ${status}...`;
  if (status === "failed") return `Evaluation #${e.id} failed: ${e.error || "no reason given"}`;
  const values = `${e.metric} ${num(e.candidate_value)} against ${num(e.baseline_value)}`;
  return `Evaluation #${e.id}: ${values}; ${e.promoted ? "promoted" : "not promoted"}${e.reason ? ` (${e.reason})` : ""}.`;
}

export function PromoteForm(props: { projectId: number }) {
  const { http } = useServices();
  const queryClient = useQueryClient();
  const options = useLearningOptions();
  const versions = useQuery({ queryKey: KEYS.versions, queryFn: () => unwrap(http.GET("/api/model-versions/")) });
  const [candidate, setCandidate] = useState("");
  const [heldoutKind, setHeldoutKind] = useState<"phantoms" | "version">("phantoms");
  const [heldout, setHeldout] = useState("32");
  const [split, setSplit] = useState("");
  const [metric, setMetric] = useState("");
  const [margin, setMargin] = useState("");
  const [problem, setProblem] = useState("");
  const [evaluationId, setEvaluationId] = useState<number | null>(null);
  const promote = useMutation({
    mutationFn: (body: Schemas["PromoteInput"]) =>
      unwrap(http.POST("/api/projects/{project_id}/model/promote/", { params: { path: { project_id: props.projectId } }, body })),
    onSuccess: (evaluation) => {
      queryClient.setQueryData(["model-evaluations", evaluation.id], evaluation);
      setEvaluationId(evaluation.id);
      void queryClient.invalidateQueries({ queryKey: KEYS.evaluations, exact: true });
    },
  });
  const evaluation = useQuery({
    queryKey: ["model-evaluations", evaluationId],
    queryFn: () => unwrap(http.GET("/api/model-evaluations/{evaluation_id}/", { params: { path: { evaluation_id: evaluationId as number } } })),
    enabled: evaluationId !== null,
    refetchInterval: (query) => (SETTLED.has(query.state.data?.status ?? "queued") ? false : POLL_MS),
  });
  const settledId = SETTLED.has(evaluation.data?.status ?? "queued") ? evaluation.data?.id : undefined;
  useEffect(() => {
    if (settledId === undefined) return;
    // the worker has promoted (or not): what the project runs, the evaluations and the versions may have changed
    void queryClient.invalidateQueries({ queryKey: KEYS.projectModel(props.projectId) });
    void queryClient.invalidateQueries({ queryKey: KEYS.evaluations, exact: true });
    void queryClient.invalidateQueries({ queryKey: KEYS.versions });
  }, [settledId, props.projectId, queryClient]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setProblem("");
    const candidateId = Number(candidate);
    const heldoutNumber = Number(heldout);
    const marginValue = margin.trim() ? Number(margin) : null;
    if (!(Number.isInteger(candidateId) && candidateId > 0)) return setProblem("Pick the candidate version.");
    if (!(Number.isInteger(heldoutNumber) && heldoutNumber > 0)) return setProblem("Give the held-out dataset version's id or a number of phantoms.");
    if (marginValue !== null && !(Number.isFinite(marginValue) && marginValue >= 0)) return setProblem("The margin is a number, 0 or more (blank: the default).");
    setEvaluationId(null);
    promote.mutate({
      candidate: candidateId,
      heldout_version: heldoutKind === "version" ? heldoutNumber : null,
      heldout_split: heldoutKind === "version" && split ? split : null,
      heldout_phantoms: heldoutKind === "phantoms" ? heldoutNumber : 0,
      metric: metric || null,
      margin: marginValue,
    });
  };
  return (
    <form onSubmit={submit} className="form-grid" aria-labelledby="promote-heading">
      <h3 id="promote-heading">Promote a candidate</h3>
      <p className="muted small">
        The candidate is evaluated on the frozen held-out set in the background and becomes the project's model only if it beats the current one by the margin.
      </p>
      <label>
        Candidate{" "}
        <select value={candidate} onChange={(e) => setCandidate(e.target.value)}>
          <option value="">choose a version</option>
          {(versions.data ?? []).map((v) => (
            <option key={v.id} value={v.id}>
              #{v.id} {v.name} {v.version}
            </option>
          ))}
        </select>
      </label>
      <fieldset>
        <legend>Held-out set</legend>
        <label className="inline">
          <input type="radio" name="promote-heldout" checked={heldoutKind === "phantoms"} onChange={() => setHeldoutKind("phantoms")} /> SYNTHETIC phantoms
        </label>
        <label className="inline">
          <input type="radio" name="promote-heldout" checked={heldoutKind === "version"} onChange={() => setHeldoutKind("version")} /> a frozen dataset version
        </label>
        <label>
          {heldoutKind === "phantoms" ? "Number of phantoms" : "Dataset version id"}{" "}
          <input value={heldout} onChange={(e) => setHeldout(e.target.value)} inputMode="numeric" />
        </label>
        {heldoutKind === "version" ? (
          <SplitSelect value={split} onChange={setSplit} />
        ) : null}
      </fieldset>
      <label>
        Metric{" "}
        <select value={metric} onChange={(e) => setMetric(e.target.value)}>
          <option value="">the default</option>
          {(options?.metrics ?? []).map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
      </label>
      <label>
        Margin (blank: the default) <input value={margin} onChange={(e) => setMargin(e.target.value)} inputMode="decimal" />
      </label>
      <FormFooter label="Evaluate and promote" disabled={promote.isPending || (evaluationId !== null && !SETTLED.has(evaluation.data?.status ?? "queued"))} problem={problem} error={promote.error} errorPrefix="Not queued" />
      <ErrorLine error={evaluation.error} prefix="Cannot follow the evaluation" />
      {evaluation.data ? (
        <p role="status" data-testid="promote-status">
          {evaluationText(evaluation.data)}
        </p>
      ) : null}
    </form>
  );
}
