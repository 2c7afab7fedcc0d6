/**
 * The learning loops (leads, engineers, admins): the list, and a form that gives a reading project its loop
 * (POST /api/learning/loops/): the pool (study ids, a cohort or a frozen dataset version), the readers, the
 * scoring method and strategy, the round size, the held-out set and the retraining settings.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useNavigate } from "react-router";
import { type Schemas, unwrap } from "../../api/http";
import { useServices } from "../../app/context";
import { ErrorLine, Page } from "../../app/page";
import { hasRole, useMe } from "../../app/session";
import { DataTable, KEYS, LearningNav, type Loop, date, parseIds } from "../../learning/common";
import { FormFooter, ScoringFields, SplitSelect, useLearningOptions } from "../../learning/fields";

const LOOP_COLUMNS = [
  { header: "Project", cell: (l: Loop) => <Link to={`/learning/loops/${l.id}/`}>{l.project_name}</Link> },
  { header: "Arm", cell: (l: Loop) => `${l.scoring || "random"} + ${l.strategy}` },
  { header: "Per round", cell: (l: Loop) => l.per_round },
  { header: "Pool", cell: (l: Loop) => l.pool_size },
  { header: "Held-out", cell: (l: Loop) => (l.heldout_version ? `dataset version ${l.heldout_version}` : `${l.heldout_phantoms} phantoms`) },
  { header: "State", cell: (l: Loop) => (l.stopped_reason ? `stopped: ${l.stopped_reason}` : "running") },
  { header: "Created", cell: (l: Loop) => date(l.created_at) },
];

type PoolKind = "studies" | "cohort" | "version";

/** Whole number fields of the form, as text while typed. */
interface Numbers {
  perRound: string;
  heldout: string;
  trainSteps: string;
  retrainEvery: string;
  plateauRounds: string;
  plateauDelta: string;
}

function ReaderChoice(props: { value: string; onChange: (v: string) => void }) {
  const { http } = useServices();
  // The user list is open to leads and admins; an engineer types the readers' ids.
  const readers = useQuery({ queryKey: ["users", "reader"], queryFn: () => unwrap(http.GET("/api/users/", { params: { query: { role: "reader" } } })), retry: false });
  const chosen = new Set(parseIds(props.value) ?? []);
  if (!readers.data) {
    return (
      <label>
        Reader ids (comma-separated) <input value={props.value} onChange={(e) => props.onChange(e.target.value)} />
      </label>
    );
  }
  const toggle = (id: number) => {
    const next = new Set(chosen);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    props.onChange([...next].join(","));
  };
  return (
    <fieldset>
      <legend>Readers</legend>
      {readers.data.length === 0 ? <p className="muted">No user holds the reader role.</p> : null}
      {readers.data.map((r) => (
        <label key={r.id} className="inline">
          <input type="checkbox" checked={chosen.has(r.id)} onChange={() => toggle(r.id)} /> {r.username}
        </label>
      ))}
    </fieldset>
  );
}

export function LoopForm() {
  const { http } = useServices();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const options = useLearningOptions();
  const [project, setProject] = useState("");
  const [poolKind, setPoolKind] = useState<PoolKind>("studies");
  const [pool, setPool] = useState("");
  const [split, setSplit] = useState("");
  const [readers, setReaders] = useState("");
  const [scoring, setScoring] = useState("entropy");
  const [strategy, setStrategy] = useState("top_k");
  const [heldoutKind, setHeldoutKind] = useState<"phantoms" | "version">("phantoms");
  const [config, setConfig] = useState("tiny");
  const [n, setN] = useState<Numbers>({ perRound: "8", heldout: "32", trainSteps: "40", retrainEvery: "0", plateauRounds: "3", plateauDelta: "0.005" });
  const [problem, setProblem] = useState("");
  const create = useMutation({
    mutationFn: (body: Schemas["LoopCreateInput"]) => unwrap(http.POST("/api/learning/loops/", { body })),
    onSuccess: (loop) => {
      void queryClient.invalidateQueries({ queryKey: KEYS.loops, exact: true });
      navigate(`/learning/loops/${loop.id}/`);
    },
  });
  const number = (key: keyof Numbers) => (
    <input type="number" value={n[key]} onChange={(e) => setN({ ...n, [key]: e.target.value })} />
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setProblem("");
    const projectId = Number(project);
    const readerIds = parseIds(readers);
    const poolIds = parseIds(pool);
    if (!Number.isInteger(projectId) || projectId <= 0) return setProblem("Give the id of a reading project.");
    if (!readerIds || readerIds.length === 0) return setProblem("Pick at least one reader.");
    if (!poolIds || poolIds.length === 0 || (poolKind !== "studies" && poolIds.length !== 1))
      return setProblem(poolKind === "studies" ? "Give the pool's study ids." : `Give one ${poolKind === "cohort" ? "cohort" : "dataset version"} id.`);
    const heldout = Number(n.heldout);
    if (!Number.isInteger(heldout) || heldout <= 0) return setProblem("Give the held-out dataset version's id or a number of phantoms.");
    create.mutate({
      project: projectId,
      reader_ids: readerIds,
      pool_studies: poolKind === "studies" ? poolIds : null,
      pool_cohort: poolKind === "cohort" ? poolIds[0] : null,
      pool_dataset_version: poolKind === "version" ? poolIds[0] : null,
      pool_split: poolKind === "version" && split ? (split as Schemas["SplitEnum"]) : null,
      scoring,
      strategy,
      per_round: Number(n.perRound),
      heldout_version: heldoutKind === "version" ? heldout : null,
      heldout_phantoms: heldoutKind === "phantoms" ? heldout : 0,
      config_name: config,
      train_steps: Number(n.trainSteps),
      retrain_every: Number(n.retrainEvery),
      plateau_rounds: Number(n.plateauRounds),
      plateau_delta: Number(n.plateauDelta),
    });
  };
  const poolLabel = { studies: "Study ids (comma-separated)", cohort: "Cohort id", version: "Dataset version id" }[poolKind];
  return (
    <form onSubmit={submit} className="form-grid" aria-labelledby="new-loop-heading" data-testid="loop-form">
      <h2 id="new-loop-heading">New learning loop</h2>
      <label>
        Reading project id <input value={project} onChange={(e) => setProject(e.target.value)} inputMode="numeric" />
      </label>
      <fieldset>
        <legend>Pool</legend>
        {(["studies", "cohort", "version"] as const).map((kind) => (
          <label key={kind} className="inline">
            <input type="radio" name="pool-kind" checked={poolKind === kind} onChange={() => setPoolKind(kind)} />{" "}
            {{ studies: "studies", cohort: "a cohort", version: "a dataset version" }[kind]}
          </label>
        ))}
        <label>
          {poolLabel} <input value={pool} onChange={(e) => setPool(e.target.value)} />
        </label>
        {poolKind === "version" ? (
          <SplitSelect value={split} onChange={setSplit} />
        ) : null}
      </fieldset>
      <ReaderChoice value={readers} onChange={setReaders} />
      <ScoringFields options={options} scoring={scoring} strategy={strategy} setScoring={setScoring} setStrategy={setStrategy} idPrefix="new" />
      <label>Studies per round {number("perRound")}</label>
      <fieldset>
        <legend>Held-out set</legend>
        <label className="inline">
          <input type="radio" name="heldout-kind" checked={heldoutKind === "phantoms"} onChange={() => setHeldoutKind("phantoms")} /> SYNTHETIC phantoms
        </label>
        <label className="inline">
          <input type="radio" name="heldout-kind" checked={heldoutKind === "version"} onChange={() => setHeldoutKind("version")} /> a frozen dataset version
        </label>
        <label>
          {heldoutKind === "phantoms" ? "Number of phantoms" : "Held-out dataset version id"} {number("heldout")}
        </label>
      </fieldset>
      <label>
        Model preset{" "}
        <select value={config} onChange={(e) => setConfig(e.target.value)}>
          {[...new Set([...(options?.configs ?? []), config])].map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </label>
      <label>Training steps per round {number("trainSteps")}</label>
      <label>Start a round after this many new reads (0: by hand) {number("retrainEvery")}</label>
      <label>Stop after this many rounds without improvement (0: never) {number("plateauRounds")}</label>
      <label>Smallest improvement that counts {number("plateauDelta")}</label>
      <FormFooter label="Create the loop" disabled={create.isPending} problem={problem} error={create.error} errorPrefix="The loop was not created" />
    </form>
  );
}

export function LoopsPage() {
  const { http } = useServices();
  const me = useMe();
  const loops = useQuery({ queryKey: KEYS.loops, queryFn: () => unwrap(http.GET("/api/learning/loops/")) });
  return (
    <Page title="Learning loops">
      <LearningNav />
      <ErrorLine error={loops.error} prefix="Cannot load the learning loops" />
      {loops.isPending ? <p className="muted">Loading...</p> : null}
      {loops.data ? <DataTable caption="Learning loops" testId="loop-list" rows={loops.data} rowKey={(l) => l.id} columns={LOOP_COLUMNS} empty="No learning loop yet." /> : null}
      {hasRole(me.data, "lead", "engineer") ? <LoopForm /> : null}
    </Page>
  );
}

export default LoopsPage;
