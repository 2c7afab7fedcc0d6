/**
 * The reading view: clinical context and gaze panel | viewer with its toolbar | report form, then
 * results. The viewer is behind {@link ViewerHandle}: this page never touches Cornerstone.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { useNavigate, useParams } from "react-router";
import { type Schemas, unwrap } from "../api/http";
import { useServices } from "../app/context";
import { ErrorLine, usePageTitle } from "../app/page";
import { GazeStream, socketUrl } from "../gaze/stream";
import { GazePanel } from "../reading/GazePanel";
import { useLiveDensity } from "../reading/liveDensity";
import { ReportForm, type SubmittedReport } from "../reading/ReportForm";
import { ReportVersions, reportQueryKey } from "../reading/ReportVersions";
import { type OverlayLayer, ResultsPanel, resultsQueryKey } from "../reading/ResultsPanel";
import { DataLossMeter, TrackingPanel, trackingQueryKey } from "../reading/TrackingPanel";
import { modeText } from "./StudyPages";
import { ViewerPane } from "../reading/ViewerPane";
import { startImageFetch } from "../viewer/fetches";
import { type ViewerHandle, loadViewer } from "../viewer/handle";
import { nextCase, usePrefetchCase, useWorklist } from "./WorklistPage";

type Session = Schemas["SessionStartOutput"];

export default function ReadingPage() {
  const { assignmentId } = useParams();
  const { http, api: legacy } = useServices();
  const navigate = useNavigate();
  const id = Number(assignmentId);
  // Load the viewer module while the session starts (after the request has gone out: evaluating the
  // Cornerstone chunk holds the main thread for a while). It is cached after the first case.
  useEffect(() => {
    const timer = setTimeout(() => void loadViewer().catch(() => undefined), 0);
    return () => clearTimeout(timer);
  }, []);
  const start = useQuery({
    queryKey: ["start", id],
    queryFn: () => unwrap(http.POST("/api/assignments/{assignment_id}/start/", { params: { path: { assignment_id: id } }, body: {} })),
    staleTime: Infinity,
    gcTime: 0,
    retry: false,
    refetchOnWindowFocus: false,
  });
  usePageTitle(start.data ? `Reading: ${start.data.study.title}` : "Opening a case");
  const firstImage = start.data?.study.image_ids[0];
  // Fetch the first image's metadata and frame while Cornerstone loads.
  useEffect(() => {
    if (firstImage !== undefined) startImageFetch(legacy, firstImage);
  }, [legacy, firstImage]);
  if (start.error) {
    return (
      <main className="page">
        <h1>Cannot open the case</h1>
        <ErrorLine error={start.error} prefix="Cannot open the case" />
        <button type="button" onClick={() => navigate(`/${window.location.search}`)}>
          Back to the worklist
        </button>
      </main>
    );
  }
  if (!start.data) {
    return (
      <main className="page">
        <h1>Opening the case</h1>
        <p className="muted" data-testid="reading-status">
          Opening the case...
        </p>
      </main>
    );
  }
  return <ReadingRoom key={start.data.session_id} session={start.data} assignmentId={id} />;
}

export function isSynthetic(study: { title: string; indication?: string }): boolean {
  return /\bsynthetic\b/i.test(study.title);
}

function ReadingRoom(props: { session: Session; assignmentId: number }) {
  const { session } = props;
  const { http, api, options } = useServices();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const study = session.study;
  const sessionId = Number(session.session_id);
  const stream = useMemo(() => new GazeStream({ url: socketUrl(session.ws_path, window.location), device: "browser-simulator" }), [session.ws_path]);
  useEffect(() => {
    stream.connect();
    return () => stream.close();
  }, [stream]);
  // The server pushes the results when they change (worker done, a submit unmasking the prediction):
  // they go straight into the query cache the results panel reads. No page poll.
  useEffect(
    () =>
      stream.onResults((message) => {
        if (message.session_id !== sessionId) return;
        queryClient.setQueryData(resultsQueryKey(sessionId), message as unknown as Schemas["ResultsOutput"]);
      }),
    [stream, queryClient, sessionId],
  );
  useEffect(() => {
    const beforeUnload = (event: BeforeUnloadEvent) => {
      if (!stream.drained) event.preventDefault();
    };
    window.addEventListener("beforeunload", beforeUnload);
    return () => window.removeEventListener("beforeunload", beforeUnload);
  }, [stream]);

  const [viewer, setViewer] = useState<ViewerHandle | null>(null);
  const [submitted, setSubmitted] = useState(false);
  const [undrained, setUndrained] = useState(false);
  const [showPoint, setShowPoint] = useState(false);
  const [showDensity, setShowDensity] = useState(false);
  const [layer, setLayer] = useState<OverlayLayer>("none");
  // Whether the socket is open (the server pushes the results on it).
  const [live, setLive] = useState(false);
  useEffect(() => stream.onChange((stats) => setLive(stats.connection === "open")), [stream]);
  const [firstRead, setFirstRead] = useState<SubmittedReport | null>(null);
  const [secondDone, setSecondDone] = useState(false);
  const [lossPct, setLossPct] = useState<number | null>(null);
  const lossMeter = useMemo(() => new DataLossMeter(), []);
  const stopTracker = useRef<() => void>(() => undefined);
  // Never the live density grid over the heatmap or the attention map.
  const density = useLiveDensity(viewer, showDensity && !submitted && layer === "none");
  const mode = session.arm?.mode ?? null;
  const [shown, setShown] = useState(false);
  // Once this case's first image is on screen, the next case's first image is fetched into the cache.
  const worklist = useWorklist();
  usePrefetchCase(worklist.data && nextCase(worklist.data, props.assignmentId), shown);

  const submit = async (report: SubmittedReport) => {
    stopTracker.current();
    viewer?.overlay.setGazePoint(null);
    // The server closes the session on submit and refuses later gaze: wait for every ack first. The
    // socket stays open (nothing more is sent on it but pings): the results are pushed on it.
    const drained = await stream.drain(15000);
    await unwrap(http.POST("/api/sessions/{session_id}/report/", { params: { path: { session_id: sessionId } }, body: { ...report, sentence_stream: stream.stream } }));
    setUndrained(!drained);
    setFirstRead(report);
    setSubmitted(true);
    void queryClient.invalidateQueries({ queryKey: ["worklist"] });
    void queryClient.invalidateQueries({ queryKey: trackingQueryKey(sessionId) });
  };
  const submitSecond = async (report: SubmittedReport) => {
    await unwrap(http.POST("/api/sessions/{session_id}/second-read/", { params: { path: { session_id: sessionId } }, body: { ...report, sentence_stream: stream.stream } }));
    setSecondDone(true);
    void queryClient.invalidateQueries({ queryKey: reportQueryKey(sessionId) });
  };
  // unaided: never; ai_assisted: from the start; second_read (and a plain project): after the submit.
  const showResults = mode === "unaided" ? false : mode === "ai_assisted" ? true : submitted;

  return (
    <main className="reading">
      <aside className="side" aria-label="Case">
        <button type="button" className="link" onClick={() => navigate(`/${window.location.search}`)}>
          &lt; Worklist
        </button>
        <section className="panel context" data-testid="clinical-context" aria-labelledby="case-title">
          <h1 id="case-title" className="case-title">
            {study.title || `Study ${study.id}`}
          </h1>
          {isSynthetic(study) ? (
            <p className="badge synthetic" data-testid="synthetic-label">
              Synthetic image: not a real acquisition
            </p>
          ) : null}
          <p className="badge" data-testid="reading-arm" data-mode={mode ?? ""}>
            {session.arm ? `Arm: ${session.arm.name} (${modeText(mode)})` : "Not part of a reader study"}
          </p>
          <h2 className="sub">Indication</h2>
          <p data-testid="context-indication">{study.indication || "-"}</p>
          <h2 className="sub">History</h2>
          <p data-testid="context-history">{study.history || "-"}</p>
        </section>
        <GazePanel
          stream={stream}
          target={() => viewer?.visibleImageClientRect() ?? null}
          initialKind={options.trackerKind}
          rateHz={options.rateHz}
          stopRef={stopTracker}
          locked={submitted}
          onSamples={(samples) => {
            density.add(samples);
            setLossPct(lossMeter.add(samples));
            if (showPoint && !submitted) {
              const last = samples[samples.length - 1];
              viewer?.overlay.setGazePoint(last?.valid ? [last.x, last.y] : null);
            }
          }}
        >
          <label className="small">
            <input type="checkbox" data-testid="gaze-show-point" checked={showPoint} disabled={submitted} onChange={(e) => {
              setShowPoint(e.target.checked);
              if (!e.target.checked) viewer?.overlay.setGazePoint(null);
            }} /> Show the gaze point
          </label>
          <label className="small">
            <input type="checkbox" data-testid="gaze-show-density" checked={showDensity} disabled={submitted} onChange={(e) => setShowDensity(e.target.checked)} /> Show live gaze density
          </label>
        </GazePanel>
        <TrackingPanel http={http} sessionId={sessionId} streamId={stream.stream} dwellMs={options.dwellMs ?? 1000} lossPct={lossPct} locked={submitted} />
      </aside>
      <ViewerPane study={study} onReady={setViewer} onView={(view) => stream.sendView(view)} onFirstImage={() => setShown(true)} />
      <aside className="right" aria-label="Report and results">
        {undrained ? <p className="error small">Some gaze batches were not acknowledged before the report was sent; they will still be resent.</p> : null}
        {showResults ? <ResultsPanel http={http} api={api} sessionId={sessionId} overlay={viewer?.overlay ?? null} submitted={submitted} onLayer={setLayer} live={live} /> : null}
        {mode === "unaided" && submitted ? (
          <p className="muted small" data-testid="unaided-note">
            Unaided arm: the model's prediction is not shown during the study.
          </p>
        ) : null}
        {mode === "second_read" && firstRead ? (
          <ReportForm key="second" prefix="second" title={secondDone ? "Second read" : "Second read (the model's prediction is shown above)"} initial={firstRead} onSubmit={submitSecond} />
        ) : null}
        <ReportForm onSubmit={submit} title={mode === "second_read" ? "First read" : "Report"} />
        {submitted ? <ReportVersions http={http} sessionId={sessionId} /> : null}
      </aside>
    </main>
  );
}
