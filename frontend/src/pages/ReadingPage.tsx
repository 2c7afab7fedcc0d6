/**
 * The reading view: clinical context and gaze panel | viewer with its toolbar | report form, then
 * results. The viewer is behind {@link ViewerHandle}: this page never touches Cornerstone.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { useNavigate, useParams } from "react-router";
import { type Schemas, unwrap } from "../api/http";
import type { ReportPayload } from "../api/types";
import { useServices } from "../app/context";
import { ErrorLine, usePageTitle } from "../app/page";
import { GazeStream, socketUrl } from "../gaze/stream";
import { GazePanel } from "../reading/GazePanel";
import { useLiveDensity } from "../reading/liveDensity";
import { ReportForm } from "../reading/ReportForm";
import { ResultsPanel } from "../reading/ResultsPanel";
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
  const stopTracker = useRef<() => void>(() => undefined);
  const density = useLiveDensity(viewer, showDensity && !submitted);
  const [shown, setShown] = useState(false);
  // Once this case's first image is on screen, the next case's first image is fetched into the cache.
  const worklist = useWorklist();
  usePrefetchCase(worklist.data && nextCase(worklist.data, props.assignmentId), shown);

  const submit = async (report: ReportPayload) => {
    stopTracker.current();
    viewer?.overlay.setGazePoint(null);
    // The server closes the session on submit and refuses later gaze: wait for every ack first.
    const drained = await stream.drain(15000);
    await unwrap(http.POST("/api/sessions/{session_id}/report/", { params: { path: { session_id: sessionId } }, body: { ...report, sentence_stream: stream.stream } }));
    if (drained) stream.close();
    setUndrained(!drained);
    setSubmitted(true);
    void queryClient.invalidateQueries({ queryKey: ["worklist"] });
  };

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
      </aside>
      <ViewerPane study={study} onReady={setViewer} onView={(view) => stream.sendView(view)} onFirstImage={() => setShown(true)} />
      <aside className="right" aria-label="Report and results">
        {undrained ? <p className="error small">Some gaze batches were not acknowledged before the report was sent; they will still be resent.</p> : null}
        {submitted ? <ResultsPanel http={http} api={api} sessionId={sessionId} overlay={viewer?.overlay ?? null} /> : null}
        <ReportForm onSubmit={submit} />
      </aside>
    </main>
  );
}
