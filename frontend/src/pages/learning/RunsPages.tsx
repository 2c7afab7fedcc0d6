/**
 * Training runs (leads, engineers, admins): the list and, for engineers, a form to queue one; a run's page
 * with its status, progress, log and live loss curve (polled while the run is queued or running), and a
 * cancel button for engineers.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { type Schemas, unwrap } from "../../api/http";
import { useServices } from "../../app/context";
import { ErrorLine, Page } from "../../app/page";
import { hasRole, useMe } from "../../app/session";
import { LineChart } from "../../learning/charts";
import { DataTable, KEYS, LearningNav, RUN_ACTIVE, type TrainingRun, date, num } from "../../learning/common";
import { FormFooter, useLearningOptions } from "../../learning/fields";
import { ApiDownloads, FigureDownloads } from "../../learning/downloads";

const POLL_MS = 2000;

function dataText(run: TrainingRun): string {
  return run.dataset_version ? `dataset version ${run.dataset_version}` : run.data_spec;
}

const RUN_COLUMNS = [
  { header: "Run", cell: (r: TrainingRun) => <Link to={`/learning/runs/${r.id}`}>{r.name}</Link> },
  { header: "Status", cell: (r: TrainingRun) => r.status },
  { header: "Config", cell: (r: TrainingRun) => r.config_name },
  { header: "Data", cell: dataText },
  { header: "Steps", cell: (r: TrainingRun) => `${r.progress.at(-1)?.step ?? 0} of ${r.max_steps ?? "config"}` },
  { header: "Created", cell: (r: TrainingRun) => date(r.created_at) },
];

export function RunForm() {
  const { http } = useServices();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const options = useLearningOptions();
  const [name, setName] = useState("");
  const [config, setConfig] = useState("tiny");
  const [dataKind, setDataKind] = useState<"spec" | "version">("spec");
  const [spec, setSpec] = useState("phantoms:64");
  const [version, setVersion] = useState("");
  const [maxSteps, setMaxSteps] = useState("");
  const [activate, setActivate] = useState(false);
  const [problem, setProblem] = useState("");
  const queue = useMutation({
    mutationFn: (body: Schemas["TrainingRunInput"]) => unwrap(http.POST("/api/training-runs/", { body })),
    onSuccess: (run) => {
      void queryClient.invalidateQueries({ queryKey: KEYS.runs });
      navigate(`/learning/runs/${run.id}`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setProblem("");
    if (!name.trim()) return setProblem("Give the run a name.");
    const versionId = Number(version);
    if (dataKind === "version" && !(Number.isInteger(versionId) && versionId > 0)) return setProblem("Give the id of a frozen dataset version.");
    const steps = maxSteps.trim() ? Number(maxSteps) : null;
    if (steps !== null && !(Number.isInteger(steps) && steps > 0)) return setProblem("The step limit is a whole number above 0 (or blank for the config's).");
    queue.mutate({
      name: name.trim(),
      config_name: config,
      data_spec: dataKind === "spec" ? spec.trim() : "phantoms:64",
      dataset_version: dataKind === "version" ? versionId : null,
      max_steps: steps,
      activate,
    });
  };
  return (
    <form onSubmit={submit} className="form-grid" aria-labelledby="new-run-heading">
      <h2 id="new-run-heading">Start a training run</h2>
      <label>
        Name <input value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        Model preset{" "}
        <select value={config} onChange={(e) => setConfig(e.target.value)}>
          {[...new Set([...(options?.configs ?? []), config])].map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </label>
      <fieldset>
        <legend>Training data</legend>
        <label className="inline">
          <input type="radio" name="data-kind" checked={dataKind === "spec"} onChange={() => setDataKind("spec")} /> a data spec
        </label>
        <label className="inline">
          <input type="radio" name="data-kind" checked={dataKind === "version"} onChange={() => setDataKind("version")} /> a frozen dataset version
        </label>
        {dataKind === "spec" ? (
          <label>
            Data spec (phantoms:N or export:PATH) <input value={spec} onChange={(e) => setSpec(e.target.value)} />
          </label>
        ) : (
          <label>
            Dataset version id <input value={version} onChange={(e) => setVersion(e.target.value)} inputMode="numeric" />
          </label>
        )}
      </fieldset>
      <label>
        Step limit (blank: the config's) <input value={maxSteps} onChange={(e) => setMaxSteps(e.target.value)} inputMode="numeric" />
      </label>
      <label className="inline">
        <input type="checkbox" checked={activate} onChange={(e) => setActivate(e.target.checked)} /> make the trained model the global active version
      </label>
      <FormFooter label="Queue the run" disabled={queue.isPending} problem={problem} error={queue.error} errorPrefix="The run was not queued" />
    </form>
  );
}

export function TrainingRunsPage() {
  const { http } = useServices();
  const me = useMe();
  const runs = useQuery({
    queryKey: KEYS.runs,
    queryFn: () => unwrap(http.GET("/api/training-runs/")),
    refetchInterval: (query) => (query.state.data?.some((r) => RUN_ACTIVE.has(r.status ?? "")) ? 5000 : false),
  });
  return (
    <Page title="Training runs">
      <LearningNav />
      <ErrorLine error={runs.error} prefix="Cannot load the training runs" />
      {runs.isPending ? <p className="muted">Loading...</p> : null}
      {runs.data ? (
        <>
          <DataTable caption="Training runs" testId="run-list" rows={runs.data} rowKey={(r) => r.id} columns={RUN_COLUMNS} empty="No training run yet." />
          <ApiDownloads url="/api/training-runs/" what="the runs" />
        </>
      ) : null}
      {hasRole(me.data, "engineer") ? <RunForm /> : null}
    </Page>
  );
}

function LossCurve(props: { run: TrainingRun }) {
  const svg = useRef<SVGSVGElement>(null);
  const { run } = props;
  return (
    <section aria-labelledby="loss-heading">
      <h2 id="loss-heading">Loss</h2>
      <figure>
        <LineChart svgRef={svg} testId="loss-curve" title={`Training loss of run ${run.name} by step`} xLabel="step" yLabel="loss" points={run.progress.map((p) => ({ x: p.step, y: p.loss }))} />
        <figcaption>
          Training loss by step{RUN_ACTIVE.has(run.status ?? "") ? " (updates while the run goes on)" : ""}.
          <FigureDownloads svg={svg} name={`training-run-${run.id}-loss`} what="the loss curve" />
          <ApiDownloads url={`/api/training-runs/${run.id}/loss/`} what="the loss series" />
        </figcaption>
      </figure>
    </section>
  );
}

export function TrainingRunPage() {
  const { http } = useServices();
  const queryClient = useQueryClient();
  const me = useMe();
  const runId = Number(useParams().runId);
  const run = useQuery({
    queryKey: KEYS.run(runId),
    queryFn: () => unwrap(http.GET("/api/training-runs/{run_id}/", { params: { path: { run_id: runId } } })),
    enabled: Number.isInteger(runId) && runId > 0,
    refetchInterval: (query) => (RUN_ACTIVE.has(query.state.data?.status ?? "") ? POLL_MS : false),
  });
  const cancel = useMutation({
    mutationFn: () => unwrap(http.POST("/api/training-runs/{run_id}/cancel/", { params: { path: { run_id: runId } } })),
    onSuccess: (data) => {
      queryClient.setQueryData(KEYS.run(runId), data);
      void queryClient.invalidateQueries({ queryKey: KEYS.runs, exact: true });
    },
  });
  const data = run.data;
  const active = RUN_ACTIVE.has(data?.status ?? "");
  const step = data?.progress.at(-1)?.step ?? 0;
  return (
    <Page title={data ? `Training run: ${data.name}` : "Training run"}>
      <LearningNav />
      <p>
        <Link to="/learning/runs">All training runs</Link>
      </p>
      <ErrorLine error={run.error} prefix="Cannot load the training run" />
      {data ? (
        <>
          <dl className="facts" data-testid="run-facts">
            <dt>Status</dt>
            <dd data-testid="run-status">
              {data.status}
              {data.cancel_requested && active ? " (cancel requested)" : ""}
            </dd>
            <dt>Progress</dt>
            <dd>
              {data.max_steps ? <progress max={data.max_steps} value={step} aria-label="Steps done" /> : null} step {step}
              {data.max_steps ? ` of ${data.max_steps}` : ""}, last loss {num(data.progress.at(-1)?.loss)}
            </dd>
            <dt>Config</dt>
            <dd>{data.config_name}</dd>
            <dt>Data</dt>
            <dd>{dataText(data)}</dd>
            <dt>Model version</dt>
            <dd>{data.model_version ? `#${data.model_version}` : "-"}</dd>
            <dt>Created</dt>
            <dd>{date(data.created_at)}</dd>
            <dt>Last heartbeat</dt>
            <dd>{date(data.heartbeat_at)}</dd>
            {data.error ? (
              <>
                <dt>Error</dt>
                <dd className="error">{data.error}</dd>
              </>
            ) : null}
          </dl>
          {hasRole(me.data, "engineer") && active ? (
            <p>
              <button type="button" disabled={cancel.isPending || Boolean(data.cancel_requested)} onClick={() => cancel.mutate()}>
                Cancel the run
              </button>
            </p>
          ) : null}
          <ErrorLine error={cancel.error} prefix="Not cancelled" />
          <LossCurve run={data} />
          <section aria-labelledby="log-heading">
            <h2 id="log-heading">Log</h2>
            <pre className="log" tabIndex={0} aria-label="Run log">
              {data.log || "(empty)"}
            </pre>
          </section>
        </>
      ) : null}
    </Page>
  );
}

export default TrainingRunsPage;
