/**
 * One learning loop (leads, engineers, admins): its settings (the next rounds' scoring, strategy, size and
 * trigger can change), the learning curve (held-out metric against reads, promoted models marked), the rounds
 * table, and per round what it selected and why (the selected studies with their scores and rank, and the
 * distribution of the whole pool's scores). Rounds are polled while one is open.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useRef, useState } from "react";
import { Link, useParams } from "react-router";
import { unwrap } from "../../api/http";
import { useServices } from "../../app/context";
import { ErrorLine, Page } from "../../app/page";
import { hasRole, useMe } from "../../app/session";
import { Histogram, LineChart } from "../../learning/charts";
import { DataTable, KEYS, LearningNav, type Loop, ROUND_OPEN, type Round, date, num } from "../../learning/common";
import { ApiDownloads, FigureDownloads, RowDownloads } from "../../learning/downloads";
import { ScoringFields, useLearningOptions } from "../../learning/fields";

function Settings(props: { loop: Loop }) {
  const { loop } = props;
  const heldout = loop.heldout_version ? `dataset version ${loop.heldout_version}` : `${loop.heldout_phantoms} SYNTHETIC phantoms`;
  return (
    <dl className="facts" data-testid="loop-settings">
      <dt>Project</dt>
      <dd>
        {loop.project_name} (#{loop.project})
      </dd>
      <dt>Arm</dt>
      <dd>
        {loop.scoring || "random"} + {loop.strategy}, {loop.per_round} studies per round
      </dd>
      <dt>Pool</dt>
      <dd>{loop.pool_size} studies</dd>
      <dt>Readers</dt>
      <dd>{loop.readers.length ? loop.readers.map((r) => `#${r}`).join(", ") : "-"}</dd>
      <dt>Held-out set</dt>
      <dd>{heldout}</dd>
      <dt>Retraining</dt>
      <dd>
        {loop.config_name}, {loop.train_steps} steps; {loop.retrain_every ? `a round after ${loop.retrain_every} new reads` : "rounds start by hand"}
      </dd>
      <dt>Stops</dt>
      <dd>
        {loop.plateau_rounds ? `when ${loop.plateau_rounds} rounds improve by less than ${loop.plateau_delta}` : "never by itself"}
        {loop.stopped_reason ? <strong> Stopped: {loop.stopped_reason}</strong> : null}
      </dd>
    </dl>
  );
}

/** The next rounds' scoring, strategy, size and trigger (PATCH); an open round keeps its own. */
function SettingsForm(props: { loop: Loop }) {
  const { http } = useServices();
  const queryClient = useQueryClient();
  const options = useLearningOptions();
  const [scoring, setScoring] = useState(props.loop.scoring ?? "");
  const [strategy, setStrategy] = useState(props.loop.strategy ?? "top_k");
  const [perRound, setPerRound] = useState(String(props.loop.per_round ?? 8));
  const [retrainEvery, setRetrainEvery] = useState(String(props.loop.retrain_every ?? 0));
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        http.PATCH("/api/learning/loops/{loop_id}/", {
          params: { path: { loop_id: props.loop.id } },
          body: { scoring, strategy, per_round: Number(perRound), retrain_every: Number(retrainEvery) },
        }),
      ),
    onSuccess: (loop) => {
      queryClient.setQueryData(KEYS.loop(loop.id), loop);
      void queryClient.invalidateQueries({ queryKey: KEYS.loops, exact: true });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} className="form-grid" aria-labelledby="loop-settings-form">
      <h3 id="loop-settings-form">Change the next rounds</h3>
      <ScoringFields options={options} scoring={scoring} strategy={strategy} setScoring={setScoring} setStrategy={setStrategy} idPrefix="edit" />
      <label>
        Studies per round <input type="number" min={1} value={perRound} onChange={(e) => setPerRound(e.target.value)} />
      </label>
      <label>
        Start a round after this many new reads (0: by hand){" "}
        <input type="number" min={0} value={retrainEvery} onChange={(e) => setRetrainEvery(e.target.value)} />
      </label>
      <div>
        <button type="submit" disabled={save.isPending}>
          Save
        </button>
        {save.isSuccess ? <span className="muted"> Saved.</span> : null}
      </div>
      <ErrorLine error={save.error} prefix="Not saved" />
    </form>
  );
}

/** The loop's rounds, polled while one is open. */
function useRounds(loopId: number) {
  const { http } = useServices();
  return useQuery({
    queryKey: KEYS.rounds(loopId),
    queryFn: () => unwrap(http.GET("/api/learning/loops/{loop_id}/rounds/", { params: { path: { loop_id: loopId } } })),
    refetchInterval: (query) => (query.state.data?.some((r) => ROUND_OPEN.has(r.status ?? "")) ? 5000 : false),
  });
}

function Curve(props: { loopId: number }) {
  const { http } = useServices();
  const svg = useRef<SVGSVGElement>(null);
  const open = useRounds(props.loopId).data?.some((r) => ROUND_OPEN.has(r.status ?? ""));
  const curve = useQuery({
    queryKey: KEYS.curve(props.loopId),
    queryFn: () => unwrap(http.GET("/api/learning/loops/{loop_id}/curve/", { params: { path: { loop_id: props.loopId } } })),
    refetchInterval: open ? 5000 : false,
  });
  const points = (curve.data?.points ?? []).filter((p) => p.reads !== null && p.heldout_value !== null);
  const metric = curve.data?.points[0]?.metric ?? "metric";
  const name = `learning-loop-${props.loopId}-curve`;
  return (
    <section aria-labelledby="curve-heading">
      <h2 id="curve-heading">Learning curve</h2>
      <ErrorLine error={curve.error} prefix="Cannot load the learning curve" />
      {curve.data ? (
        <figure>
          <LineChart
            svgRef={svg}
            testId="learning-curve"
            title={`Held-out ${metric} against the number of reads`}
            xLabel="reads"
            yLabel={`held-out ${metric}`}
            markLabel="promoted"
            points={points.map((p) => ({
              x: p.reads as number,
              y: p.heldout_value as number,
              marked: p.promoted,
              label: `round ${p.round}: ${p.reads} reads, ${num(p.heldout_value)}${p.promoted ? ", promoted" : ""}`,
            }))}
          />
          <figcaption>
            Held-out {metric} of each finished round's retrained model against the reads so far; promoted models are marked.
            <FigureDownloads svg={svg} name={name} what="the learning curve" pngUrl={`/learning/loops/${props.loopId}/curve.png`} />
            <ApiDownloads url={`/api/learning/loops/${props.loopId}/curve/`} what="the curve's points" />
          </figcaption>
        </figure>
      ) : null}
    </section>
  );
}

const ROUND_COLUMNS = [
  { header: "Round", cell: (r: Round) => r.number },
  { header: "Status", cell: (r: Round) => (r.error ? `${r.status}: ${r.error}` : r.status) },
  { header: "Scoring", cell: (r: Round) => r.scoring || "random" },
  { header: "Strategy", cell: (r: Round) => r.strategy },
  { header: "Reads", cell: (r: Round) => `${r.reads_at_start ?? 0} → ${r.reads_at_end ?? "…"}` },
  { header: "Held-out value", cell: (r: Round) => num(r.heldout_value) },
  { header: "Model before", cell: (r: Round) => (r.model_before ? `#${r.model_before}` : "-") },
  { header: "Model after", cell: (r: Round) => (r.model_after ? `#${r.model_after}` : "-") },
  { header: "Evaluation", cell: (r: Round) => (r.evaluation ? `#${r.evaluation}` : "-") },
  { header: "Started", cell: (r: Round) => date(r.created_at) },
  { header: "Finished", cell: (r: Round) => date(r.finished_at) },
];

/** Where each selected study's score ranks in the round's pool (1 = highest), for "why this one". */
export function selectionRows(round: Round): { study: number; image: number; score: number | null; rank: string }[] {
  const scores = Object.values(round.scores).filter((s): s is number => s !== null && Number.isFinite(s));
  return round.selected.map((s) => ({
    study: s.study,
    image: s.image,
    score: s.score,
    rank: s.score === null ? "-" : `${1 + scores.filter((v) => v > (s.score as number)).length} of ${scores.length}`,
  }));
}

function Selection(props: { round: Round; loopId: number }) {
  const { round } = props;
  const svg = useRef<SVGSVGElement>(null);
  const rows = selectionRows(round);
  const scores = Object.values(round.scores).filter((s): s is number => s !== null);
  const name = `learning-loop-${props.loopId}-round-${round.number}`;
  return (
    <section aria-labelledby="selection-heading">
      <h3 id="selection-heading">
        Round {round.number}: what it selected and why
      </h3>
      <p className="muted">
        {round.scoring
          ? `Scored the ${Object.keys(round.scores).length} unread studies with ${round.scoring}; ${round.strategy} chose ${round.selected.length} (higher scores first).`
          : `No scoring method: ${round.strategy} chose ${round.selected.length} of ${Object.keys(round.scores).length} unread studies at random.`}
      </p>
      <DataTable
        caption={`Studies selected in round ${round.number}`}
        testId="selection-table"
        rows={rows}
        rowKey={(r) => r.study}
        columns={[
          { header: "Study", cell: (r) => `#${r.study}` },
          { header: "Image", cell: (r) => `#${r.image}` },
          { header: "Score", cell: (r) => num(r.score) },
          { header: "Rank in the pool", cell: (r) => r.rank },
        ]}
        empty="This round selected nothing."
      />
      <RowDownloads rows={rows} columns={["study", "image", "score", "rank"]} name={`${name}-selected`} what="the selection" />
      <figure>
        <Histogram
          svgRef={svg}
          testId="score-histogram"
          title={`Scores of the unread pool in round ${round.number}, selected studies marked`}
          xLabel={`score (${round.scoring || "none"})`}
          values={scores}
          marks={rows.map((r) => r.score).filter((s): s is number => s !== null)}
          markLabel="selected"
        />
        <figcaption>
          Distribution of the pool's scores when round {round.number} started; ticks at the top mark the selected studies.
          <FigureDownloads svg={svg} name={`${name}-scores`} what="the score distribution" />
          <RowDownloads
            rows={Object.entries(round.scores).map(([study, score]) => ({ study: Number(study), score, selected: round.selected.some((s) => s.study === Number(study)) }))}
            columns={["study", "score", "selected"]}
            name={`${name}-scores`}
            what="the pool's scores"
          />
        </figcaption>
      </figure>
    </section>
  );
}

function Rounds(props: { loopId: number; canStart: boolean; stopped: boolean }) {
  const { http } = useServices();
  const queryClient = useQueryClient();
  const [chosen, setChosen] = useState<number | null>(null);
  const rounds = useRounds(props.loopId);
  const start = useMutation({
    mutationFn: () => unwrap(http.POST("/api/learning/loops/{loop_id}/rounds/", { params: { path: { loop_id: props.loopId } } })),
    onSuccess: (round) => {
      setChosen(round.number);
      void queryClient.invalidateQueries({ queryKey: KEYS.rounds(props.loopId) });
    },
  });
  const list = rounds.data ?? [];
  const open = list.some((r) => ROUND_OPEN.has(r.status ?? ""));
  const shown = list.find((r) => r.number === chosen) ?? list.at(-1);
  return (
    <section aria-labelledby="rounds-heading">
      <h2 id="rounds-heading">Rounds</h2>
      <ErrorLine error={rounds.error} prefix="Cannot load the rounds" />
      {props.canStart ? (
        <p>
          <button type="button" className="primary" disabled={start.isPending || open || props.stopped} onClick={() => start.mutate()}>
            Start the next round
          </button>{" "}
          {open ? <span className="muted">A round is open; the next starts when it has finished.</span> : null}
        </p>
      ) : null}
      <ErrorLine error={start.error} prefix="The round did not start" />
      {rounds.data ? (
        <>
          <DataTable caption="Rounds of the loop" testId="rounds-table" rows={list} rowKey={(r) => r.id} columns={ROUND_COLUMNS} empty="No round yet." />
          <ApiDownloads url={`/api/learning/loops/${props.loopId}/rounds/`} what="the rounds" />
        </>
      ) : null}
      {shown ? (
        <>
          <label>
            Show the selection of round{" "}
            <select value={shown.number} onChange={(e) => setChosen(Number(e.target.value))}>
              {list.map((r) => (
                <option key={r.id} value={r.number}>
                  {r.number} ({r.status})
                </option>
              ))}
            </select>
          </label>
          <Selection round={shown} loopId={props.loopId} />
        </>
      ) : null}
    </section>
  );
}

export function LoopPage() {
  const { http } = useServices();
  const me = useMe();
  const loopId = Number(useParams().loopId);
  const loop = useQuery({
    queryKey: KEYS.loop(loopId),
    queryFn: () => unwrap(http.GET("/api/learning/loops/{loop_id}/", { params: { path: { loop_id: loopId } } })),
    enabled: Number.isInteger(loopId) && loopId > 0,
  });
  const canLead = hasRole(me.data, "lead", "engineer");
  return (
    <Page title={loop.data ? `Learning loop: ${loop.data.project_name}` : "Learning loop"}>
      <LearningNav />
      <p>
        <Link to="/learning/loops">All learning loops</Link>
      </p>
      <ErrorLine error={loop.error} prefix="Cannot load the learning loop" />
      {loop.data ? (
        <>
          <section aria-labelledby="settings-heading">
            <h2 id="settings-heading">Settings</h2>
            <Settings loop={loop.data} />
            {canLead ? <SettingsForm key={loop.data.id} loop={loop.data} /> : null}
          </section>
          <Curve loopId={loopId} />
          <Rounds loopId={loopId} canStart={canLead} stopped={Boolean(loop.data.stopped_reason)} />
        </>
      ) : null}
    </Page>
  );
}

export default LoopPage;
