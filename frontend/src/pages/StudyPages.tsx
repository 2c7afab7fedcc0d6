/**
 * Study lead pages: the reader studies (list and set-up of a draft) and one study (start, close,
 * progress per reader and arm, the submitted readings). Every refusal shows the API's `detail`.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { type Schemas, unwrap } from "../api/http";
import { useServices } from "../app/context";
import { ErrorLine, Page } from "../app/page";

type ArmMode = Schemas["ArmModeEnum"];
type Study = Schemas["ReaderStudyOutput"];

export const ARM_MODES: ReadonlyArray<{ mode: ArmMode; label: string }> = [
  { mode: "unaided", label: "Unaided" },
  { mode: "ai_assisted", label: "AI-assisted (predictions from the start)" },
  { mode: "second_read", label: "Second read (predictions after the first submit)" },
];

const MODE_TEXT: Record<string, string> = { unaided: "unaided", ai_assisted: "AI-assisted", second_read: "second read" };

export function modeText(mode: string | null | undefined): string {
  return mode ? (MODE_TEXT[mode] ?? mode) : "-";
}

function useStudies() {
  const { http } = useServices();
  return useQuery({ queryKey: ["reader-studies"], queryFn: () => unwrap(http.GET("/api/reader-studies/")) });
}

export function StudiesPage() {
  const studies = useStudies();
  return (
    <Page title="Reader studies">
      <ErrorLine error={studies.error} prefix="Cannot load the studies" />
      {studies.data && studies.data.length === 0 ? <p className="muted">No reader studies yet.</p> : null}
      {studies.data && studies.data.length > 0 ? (
        <table className="worklist" data-testid="study-list">
          <caption className="visually-hidden">Reader studies</caption>
          <thead>
            <tr>
              <th scope="col">Study</th>
              <th scope="col">Status</th>
              <th scope="col">Arms</th>
              <th scope="col">Readers</th>
            </tr>
          </thead>
          <tbody>
            {studies.data.map((study) => (
              <tr key={study.id} data-testid="study-row" data-status={study.status}>
                <td>
                  <Link to={`/studies/${study.id}`}>{study.name}</Link>
                </td>
                <td>{study.status}</td>
                <td>{study.arms.map((a) => `${a.name} (${modeText(a.mode)})`).join(", ")}</td>
                <td>{study.readers.map((r) => r.username).join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <StudyForm />
    </Page>
  );
}

interface ArmDraft {
  name: string;
  mode: ArmMode;
}

/** The set-up of a draft study: name, arms, readers, the frozen dataset version and the design. */
export function StudyForm() {
  const { http } = useServices();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const readers = useQuery({ queryKey: ["users", "reader"], queryFn: () => unwrap(http.GET("/api/users/", { params: { query: { role: "reader" } } })) });
  const [name, setName] = useState("");
  const [arms, setArms] = useState<ArmDraft[]>([
    { name: "Unaided", mode: "unaided" },
    { name: "AI-assisted", mode: "ai_assisted" },
  ]);
  const [readerIds, setReaderIds] = useState<number[]>([]);
  const [version, setVersion] = useState("");
  const [seed, setSeed] = useState("");
  const [washout, setWashout] = useState("0");
  const [calibration, setCalibration] = useState(true);
  const [counterbalance, setCounterbalance] = useState(false);
  const [problem, setProblem] = useState("");
  const create = useMutation({
    mutationFn: (body: Schemas["StudyCreateInput"]) => unwrap(http.POST("/api/reader-studies/", { body })),
    onSuccess: (study) => {
      void queryClient.invalidateQueries({ queryKey: ["reader-studies"] });
      navigate(`/studies/${study.id}${window.location.search}`);
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setProblem("");
    const versionId = Number(version);
    if (!name.trim()) return setProblem("Give the study a name.");
    if (arms.length === 0 || arms.some((a) => !a.name.trim())) return setProblem("Every arm needs a name.");
    if (readerIds.length === 0) return setProblem("Pick at least one reader.");
    if (!Number.isInteger(versionId) || versionId <= 0) return setProblem("Give the id of a frozen dataset version.");
    if (seed.trim() && !/^\d+$/.test(seed.trim())) return setProblem("The seed is a whole number (or blank for a random one).");
    const washoutDays = Number(washout);
    if (!Number.isFinite(washoutDays) || washoutDays < 0) return setProblem("The washout is a number of days, 0 or more.");
    create.mutate({
      name: name.trim(),
      arms: arms.map((a) => ({ name: a.name.trim(), mode: a.mode })),
      reader_ids: readerIds,
      dataset_version_id: versionId,
      washout_days: washoutDays,
      require_calibration: calibration,
      counterbalance,
      ...(seed.trim() ? { seed: Number(seed.trim()) } : {}),
    });
  };

  const setArm = (index: number, change: Partial<ArmDraft>) => setArms(arms.map((a, i) => (i === index ? { ...a, ...change } : a)));
  return (
    <form className="panel study-form" data-testid="study-form" aria-labelledby="study-form-title" onSubmit={submit}>
      <h2 id="study-form-title">New reader study</h2>
      <label htmlFor="study-name">Name</label>
      <input id="study-name" data-testid="study-name" value={name} onChange={(e) => setName(e.target.value)} />
      <fieldset>
        <legend>Arms (in order)</legend>
        {arms.map((arm, index) => (
          <div className="row" key={index} data-testid="study-arm">
            <label>
              Arm {index + 1} name <input value={arm.name} data-testid={`arm-name-${index}`} onChange={(e) => setArm(index, { name: e.target.value })} />
            </label>
            <label>
              Arm {index + 1} mode{" "}
              <select value={arm.mode} data-testid={`arm-mode-${index}`} onChange={(e) => setArm(index, { mode: e.target.value as ArmMode })}>
                {ARM_MODES.map((m) => (
                  <option key={m.mode} value={m.mode}>
                    {m.label}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" onClick={() => setArms(arms.filter((_, i) => i !== index))} aria-label={`Remove arm ${index + 1}`}>
              Remove
            </button>
          </div>
        ))}
        <button type="button" data-testid="arm-add" onClick={() => setArms([...arms, { name: `Arm ${arms.length + 1}`, mode: "unaided" }])}>
          Add an arm
        </button>
      </fieldset>
      <fieldset data-testid="study-readers">
        <legend>Readers</legend>
        <ErrorLine error={readers.error} prefix="Cannot load the readers" />
        {readers.data?.length === 0 ? <p className="muted">No user has the reader role.</p> : null}
        {readers.data?.map((user) => (
          <label key={user.id} className="check">
            <input
              type="checkbox"
              checked={readerIds.includes(user.id)}
              onChange={(e) => setReaderIds(e.target.checked ? [...readerIds, user.id] : readerIds.filter((id) => id !== user.id))}
            />{" "}
            {user.username}
          </label>
        ))}
      </fieldset>
      <label htmlFor="study-version">Frozen dataset version (id)</label>
      <input id="study-version" data-testid="study-version" inputMode="numeric" value={version} onChange={(e) => setVersion(e.target.value)} />
      <label htmlFor="study-seed">Seed of the case orders (blank: random)</label>
      <input id="study-seed" data-testid="study-seed" inputMode="numeric" value={seed} onChange={(e) => setSeed(e.target.value)} />
      <label htmlFor="study-washout">Washout between arms (days)</label>
      <input id="study-washout" data-testid="study-washout" type="number" min={0} step="any" value={washout} onChange={(e) => setWashout(e.target.value)} />
      <label className="check">
        <input type="checkbox" data-testid="study-counterbalance" checked={counterbalance} onChange={(e) => setCounterbalance(e.target.checked)} /> Rotate the arm
        order between readers (counterbalance)
      </label>
      <label className="check">
        <input type="checkbox" data-testid="study-calibration" checked={calibration} onChange={(e) => setCalibration(e.target.checked)} /> Require a
        passed tracker calibration before a submit
      </label>
      <p className="error" role="alert" data-testid="study-form-error">
        {problem || (create.error ? `Not created: ${(create.error as Error).message}` : "")}
      </p>
      <button type="submit" className="primary" data-testid="study-create" disabled={create.isPending}>
        Create the study (draft)
      </button>
    </form>
  );
}

export function StudyDetailPage() {
  const { studyId } = useParams();
  const id = Number(studyId);
  const { http } = useServices();
  const queryClient = useQueryClient();
  const study = useQuery({ queryKey: ["reader-study", id], queryFn: () => unwrap(http.GET("/api/reader-studies/{study_id}/", { params: { path: { study_id: id } } })) });
  const running = study.data?.status !== undefined && study.data.status !== "draft";
  const progress = useQuery({
    queryKey: ["reader-study", id, "progress"],
    queryFn: () => unwrap(http.GET("/api/reader-studies/{study_id}/progress/", { params: { path: { study_id: id } } })),
    enabled: running,
  });
  const readings = useQuery({
    queryKey: ["reader-study", id, "readings"],
    queryFn: () => unwrap(http.GET("/api/reader-studies/{study_id}/readings/", { params: { path: { study_id: id } } })),
    enabled: running,
  });
  const action = useMutation({
    mutationFn: (what: "start" | "close") =>
      what === "start"
        ? unwrap(http.POST("/api/reader-studies/{study_id}/start/", { params: { path: { study_id: id } } }))
        : unwrap(http.POST("/api/reader-studies/{study_id}/close/", { params: { path: { study_id: id } } })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["reader-study", id] });
      void queryClient.invalidateQueries({ queryKey: ["reader-studies"] });
    },
  });
  const data = study.data;
  return (
    <Page title={data ? `Study: ${data.name}` : "Reader study"}>
      <p>
        <Link to={`/studies${window.location.search}`}>All reader studies</Link>
      </p>
      <ErrorLine error={study.error} prefix="Cannot load the study" />
      {data ? <StudySummary study={data} /> : null}
      {data ? (
        <div className="row">
          {data.status === "draft" ? (
            <button type="button" className="primary" data-testid="study-start" disabled={action.isPending} onClick={() => action.mutate("start")}>
              Start the study
            </button>
          ) : null}
          {data.status === "running" ? (
            <button type="button" data-testid="study-close" disabled={action.isPending} onClick={() => action.mutate("close")}>
              Close the study
            </button>
          ) : null}
          <button type="button" onClick={() => void queryClient.invalidateQueries({ queryKey: ["reader-study", id] })}>
            Refresh
          </button>
        </div>
      ) : null}
      <p className="error" role="alert" data-testid="study-action-error">
        {action.error ? `Refused: ${(action.error as Error).message}` : ""}
      </p>
      {running ? (
        <>
          <h2>Progress</h2>
          <ErrorLine error={progress.error} prefix="Cannot load the progress" />
          {progress.data ? <ProgressTable progress={progress.data} /> : null}
          <h2>Readings</h2>
          <ErrorLine error={readings.error} prefix="Cannot load the readings" />
          {readings.data ? <ReadingsTable readings={readings.data} /> : null}
        </>
      ) : null}
    </Page>
  );
}

function StudySummary(props: { study: Study }) {
  const { study } = props;
  const row = (label: string, value: React.ReactNode) => (
    <div className="kv">
      <span>{label}</span>
      <span>{value}</span>
    </div>
  );
  return (
    <section className="panel" aria-label="Design" data-testid="study-summary" data-status={study.status}>
      {row("Status", <span data-testid="study-status">{study.status}</span>)}
      {row("Dataset version", study.dataset_version_id === null ? "none" : `${study.dataset_version_id}${study.dataset_version_frozen ? " (frozen)" : " (not frozen)"}`)}
      {row("Seed", study.seed ?? "-")}
      {row("Washout", `${study.washout_days ?? 0} days`)}
      {row("Arm order", study.counterbalance ? "rotated between readers" : "the same for every reader")}
      {row("Calibration required", study.require_calibration ? "yes" : "no")}
      {row("Arms", study.arms.map((a) => `${a.position + 1}. ${a.name} (${modeText(a.mode)})`).join("; "))}
      {row("Readers", study.readers.map((r) => r.username).join(", ") || "-")}
    </section>
  );
}

function ProgressTable(props: { progress: Schemas["ReaderProgressOutput"][] }) {
  return (
    <table className="worklist" data-testid="study-progress">
      <caption className="visually-hidden">Progress per reader and arm</caption>
      <thead>
        <tr>
          <th scope="col">Reader</th>
          <th scope="col">Arm</th>
          <th scope="col">Done</th>
          <th scope="col">In progress</th>
          <th scope="col">To read</th>
          <th scope="col">Last read</th>
          <th scope="col">Open</th>
        </tr>
      </thead>
      <tbody>
        {props.progress.flatMap((reader) =>
          reader.arms.map((arm) => (
            <tr key={`${reader.reader_id}-${arm.arm_id}`} data-testid="progress-row" data-reader={reader.username} data-arm={arm.name} data-done={arm.done}>
              <td>{reader.username}</td>
              <td>
                {arm.name} ({modeText(arm.mode)})
              </td>
              <td>
                {arm.done} / {arm.total}
              </td>
              <td>{arm.in_progress}</td>
              <td>{arm.pending}</td>
              <td>{arm.last_read_at ? new Date(arm.last_read_at).toLocaleString() : "-"}</td>
              <td>{arm.available ? "open" : arm.blocked_reason || (arm.available_from ? `from ${new Date(arm.available_from).toLocaleString()}` : "not yet")}</td>
            </tr>
          )),
        )}
      </tbody>
    </table>
  );
}

function ReadingsTable(props: { readings: Schemas["StudyReadingOutput"][] }) {
  if (props.readings.length === 0) return <p className="muted">No reads submitted yet.</p>;
  const positives = (labels: Record<string, string>) =>
    Object.entries(labels)
      .filter(([, v]) => v === "present")
      .map(([k]) => k)
      .join(", ") || "none present";
  return (
    <table className="worklist" data-testid="study-readings">
      <caption className="visually-hidden">Submitted readings</caption>
      <thead>
        <tr>
          <th scope="col">Reader</th>
          <th scope="col">Arm</th>
          <th scope="col">Case</th>
          <th scope="col">Submitted</th>
          <th scope="col">First read: present</th>
          <th scope="col">Final: present</th>
          <th scope="col">Versions</th>
          <th scope="col">Model</th>
        </tr>
      </thead>
      <tbody>
        {props.readings.map((r) => (
          <tr key={r.session_id} data-testid="reading-row" data-reader={r.username}>
            <td>{r.username}</td>
            <td>
              {r.arm} ({modeText(r.mode)})
            </td>
            <td>{r.study_id}</td>
            <td>{new Date(r.submitted_at).toLocaleString()}</td>
            <td>{positives(r.first_labels)}</td>
            <td>{positives(r.final_labels)}</td>
            <td>{r.versions}</td>
            <td>{r.probabilities ? `${Object.keys(r.probabilities).length} probabilities` : "none"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
