/**
 * The model registry (leads, engineers, admins): every model version, a reading project's current version
 * with its history of promotions and rollbacks, and the evaluations (candidate against baseline on a frozen
 * held-out set). Engineers promote a candidate (an evaluation that promotes only a winner) and roll back.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { unwrap } from "../../api/http";
import { useServices } from "../../app/context";
import { ErrorLine, Page } from "../../app/page";
import { hasRole, useMe } from "../../app/session";
import { DataTable, type Evaluation, KEYS, LearningNav, type ModelVersion, date, num, yesNo } from "../../learning/common";
import { ApiDownloads, RowDownloads } from "../../learning/downloads";
import { PromoteForm } from "./PromoteForm";

const VERSION_COLUMNS = [
  { header: "Version", cell: (v: ModelVersion) => `#${v.id} ${v.name} ${v.version}` },
  { header: "Config", cell: (v: ModelVersion) => v.config_name || "-" },
  { header: "Checkpoint SHA-256", cell: (v: ModelVersion) => <code title={v.checkpoint_sha256}>{(v.checkpoint_sha256 ?? "").slice(0, 12) || "-"}</code> },
  { header: "Dataset version", cell: (v: ModelVersion) => (v.dataset_version ? `#${v.dataset_version}` : "-") },
  { header: "Metrics", cell: (v: ModelVersion) => metricsText(v.metrics) },
  { header: "Created by", cell: (v: ModelVersion) => (v.created_by ? `#${v.created_by}` : "-") },
  { header: "Created", cell: (v: ModelVersion) => date(v.created_at) },
  { header: "Active", cell: (v: ModelVersion) => yesNo(v.is_active) },
];

const EVALUATION_COLUMNS = [
  { header: "Evaluation", cell: (e: Evaluation) => `#${e.id}` },
  { header: "Project", cell: (e: Evaluation) => `#${e.project}` },
  { header: "Candidate", cell: (e: Evaluation) => `#${e.candidate}` },
  { header: "Baseline", cell: (e: Evaluation) => (e.baseline ? `#${e.baseline}` : "-") },
  { header: "Held-out", cell: (e: Evaluation) => e.heldout_spec },
  { header: "Status", cell: (e: Evaluation) => (e.status === "failed" ? `failed: ${e.error || "-"}` : (e.status ?? "done")) },
  { header: "Metric", cell: (e: Evaluation) => `${e.metric} (margin ${e.margin})` },
  { header: "Candidate value", cell: (e: Evaluation) => num(e.candidate_value) },
  { header: "Baseline value", cell: (e: Evaluation) => num(e.baseline_value) },
  { header: "Beats", cell: (e: Evaluation) => yesNo(e.beats) },
  { header: "Promoted", cell: (e: Evaluation) => yesNo(e.promoted) },
  { header: "Reason", cell: (e: Evaluation) => e.reason || "-" },
  { header: "When", cell: (e: Evaluation) => date(e.created_at) },
];

function metricsText(metrics: unknown): string {
  if (!metrics || typeof metrics !== "object") return "-";
  const entries = Object.entries(metrics as Record<string, unknown>);
  return entries.length ? entries.map(([k, v]) => `${k} ${typeof v === "number" ? num(v) : String(v)}`).join(", ") : "-";
}

function ProjectModel(props: { projectId: number; engineer: boolean }) {
  const { http } = useServices();
  const queryClient = useQueryClient();
  const state = useQuery({
    queryKey: KEYS.projectModel(props.projectId),
    queryFn: () => unwrap(http.GET("/api/projects/{project_id}/model/", { params: { path: { project_id: props.projectId } } })),
  });
  const rollback = useMutation({
    mutationFn: () => unwrap(http.POST("/api/projects/{project_id}/model/rollback/", { params: { path: { project_id: props.projectId } } })),
    onSuccess: (data) => {
      queryClient.setQueryData(KEYS.projectModel(props.projectId), data);
      void queryClient.invalidateQueries({ queryKey: KEYS.versions });
    },
  });
  const data = state.data;
  const changes = (data?.changes ?? []).map((c) => ({ ...c }));
  return (
    <section aria-labelledby="project-model-heading">
      <h2 id="project-model-heading">Project #{props.projectId}: current model</h2>
      <ErrorLine error={state.error} prefix="Cannot load the project's model" />
      {data ? (
        <>
          <p data-testid="project-current">
            {data.current
              ? `#${data.current.id} ${data.current.name} ${data.current.version}${data.own ? "" : " (the global active version: the project has none of its own)"}`
              : "No model: the project has none of its own and no version is active."}
          </p>
          {props.engineer ? (
            <p>
              <button type="button" disabled={rollback.isPending || !data.own} onClick={() => rollback.mutate()}>
                Roll back to the previous version
              </button>
            </p>
          ) : null}
          <ErrorLine error={rollback.error} prefix="Not rolled back" />
          <h3>Changes</h3>
          <DataTable
            caption={`Model changes of project ${props.projectId}`}
            testId="change-table"
            rows={changes}
            rowKey={(c) => c.id}
            empty="No promotion or rollback yet."
            columns={[
              { header: "Change", cell: (c) => c.kind },
              { header: "From", cell: (c) => (c.previous ? `#${c.previous}` : "-") },
              { header: "To", cell: (c) => (c.current ? `#${c.current}` : "-") },
              { header: "Evaluation", cell: (c) => (c.evaluation ? `#${c.evaluation}` : "-") },
              { header: "By", cell: (c) => (c.created_by ? `#${c.created_by}` : "-") },
              { header: "When", cell: (c) => date(c.created_at) },
            ]}
          />
          <RowDownloads rows={changes} columns={["id", "kind", "previous", "current", "evaluation", "created_by", "created_at"]} name={`project-${props.projectId}-model-changes`} what="the changes" />
          {props.engineer ? <PromoteForm projectId={props.projectId} /> : null}
        </>
      ) : null}
    </section>
  );
}

export function ModelsPage() {
  const { http } = useServices();
  const me = useMe();
  const versions = useQuery({ queryKey: KEYS.versions, queryFn: () => unwrap(http.GET("/api/model-versions/")) });
  const evaluations = useQuery({ queryKey: KEYS.evaluations, queryFn: () => unwrap(http.GET("/api/model-evaluations/")) });
  const loops = useQuery({ queryKey: KEYS.loops, queryFn: () => unwrap(http.GET("/api/learning/loops/")) });
  const [project, setProject] = useState("");
  // Projects the page knows of: those with a learning loop (named) and those with evaluations.
  const names = new Map<number, string>();
  for (const e of evaluations.data ?? []) names.set(e.project, `project #${e.project}`);
  for (const l of loops.data ?? []) names.set(l.project, `${l.project_name} (#${l.project})`);
  const projectId = Number(project);
  return (
    <Page title="Models">
      <LearningNav />
      <section aria-labelledby="versions-heading">
        <h2 id="versions-heading">Model versions</h2>
        <ErrorLine error={versions.error} prefix="Cannot load the model versions" />
        {versions.data ? (
          <>
            <DataTable caption="Model versions" testId="version-table" rows={versions.data} rowKey={(v) => v.id} columns={VERSION_COLUMNS} empty="No model version yet." />
            <ApiDownloads url="/api/model-versions/" what="the versions" />
          </>
        ) : null}
      </section>
      <section aria-labelledby="projects-heading">
        <h2 id="projects-heading">Projects</h2>
        <label>
          Reading project{" "}
          <input list="known-projects" value={project} onChange={(e) => setProject(e.target.value)} inputMode="numeric" placeholder="id" />
          <datalist id="known-projects">
            {[...names].map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </datalist>
        </label>
      </section>
      {Number.isInteger(projectId) && projectId > 0 ? <ProjectModel key={projectId} projectId={projectId} engineer={hasRole(me.data, "engineer")} /> : null}
      <section aria-labelledby="evaluations-heading">
        <h2 id="evaluations-heading">Evaluations</h2>
        <ErrorLine error={evaluations.error} prefix="Cannot load the evaluations" />
        {evaluations.data ? (
          <>
            <DataTable caption="Evaluations" testId="evaluation-table" rows={evaluations.data} rowKey={(e) => e.id} columns={EVALUATION_COLUMNS} empty="No evaluation yet." />
            <ApiDownloads url="/api/model-evaluations/" what="the evaluations" />
          </>
        ) : null}
      </section>
    </Page>
  );
}

export default ModelsPage;
