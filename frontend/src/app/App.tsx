/**
 * The app shell: a header with the areas the user's roles open, and the routes. Pages by role:
 * reader (worklist, reading), study lead (reader studies: set-up, progress, readings), curator (imports, cohorts, datasets), admin (the Django admin),
 * and learning for leads and ML engineers (models, training runs, learning loops). The reading page, with
 * Cornerstone, and the learning pages are separate chunks loaded when opened.
 */
import { Suspense, lazy } from "react";
import { NavLink, Navigate, Route, Routes, useLocation, useNavigate } from "react-router";
import { AdminPage } from "../pages/AdminPage";
import { CohortsPage, DatasetsPage, ImportsPage } from "../pages/CurationPages";
import { LoginPage } from "../pages/LoginPage";
import { StudiesPage, StudyDetailPage } from "../pages/StudyPages";
import { WorklistPage } from "../pages/WorklistPage";
import { APP_NAME, Page } from "./page";
import { type User, hasRole, useLogout, useMe } from "./session";

const ReadingPage = lazy(() => import("../pages/ReadingPage"));
const StudyAnalyticsPage = lazy(() => import("../pages/StudyAnalyticsPage"));
const ModelsPage = lazy(() => import("../pages/learning/ModelsPage"));
const TrainingRunsPage = lazy(() => import("../pages/learning/RunsPages"));
const TrainingRunPage = lazy(() => import("../pages/learning/RunsPages").then((m) => ({ default: m.TrainingRunPage })));
const LoopsPage = lazy(() => import("../pages/learning/LoopsPage"));
const LoopPage = lazy(() => import("../pages/learning/LoopPage"));
const LEARNING = ["lead", "engineer", "admin"];

interface Area {
  path: string;
  label: string;
  roles: string[];
  /** The link stays marked on every page under its path (a section of several pages). */
  section?: boolean;
}

export const AREAS: Area[] = [
  { path: "/", label: "Worklist", roles: ["reader"] },
  { path: "/studies", label: "Studies", roles: ["lead", "admin"] },
  { path: "/curation/imports", label: "Imports", roles: ["curator"] },
  { path: "/curation/cohorts", label: "Cohorts", roles: ["curator"] },
  { path: "/curation/datasets", label: "Datasets", roles: ["curator"] },
  { path: "/learning", label: "Learning", roles: LEARNING, section: true },
  { path: "/admin-tools", label: "Admin", roles: ["admin"] },
];

export function areasFor(user: User | null | undefined): Area[] {
  return AREAS.filter((area) => hasRole(user, ...area.roles));
}

function Header(props: { user: User | null | undefined }) {
  const logout = useLogout();
  const navigate = useNavigate();
  const { search } = useLocation();
  const { user } = props;
  return (
    <header className="topbar">
      <NavLink className="brand" to={`/${search}`}>
        {APP_NAME}
      </NavLink>
      {user ? (
        <nav aria-label="Areas">
          {areasFor(user).map((area) => (
            <NavLink key={area.path} to={`${area.path}${search}`} end={!area.section}>
              {area.label}
            </NavLink>
          ))}
        </nav>
      ) : null}
      <span className="spacer" />
      {user ? (
        <>
          <span className="muted" data-testid="current-user">
            {user.username}
            {user.roles.length ? ` (${user.roles.join(", ")})` : ""}
          </span>
          <button type="button" className="link" data-testid="logout" onClick={() => logout.mutate(undefined, { onSettled: () => navigate(`/${search}`) })}>
            Sign out
          </button>
        </>
      ) : null}
    </header>
  );
}

function Home(props: { user: User }) {
  if (hasRole(props.user, "reader")) return <WorklistPage />;
  const first = areasFor(props.user)[0];
  if (first && first.path !== "/") return <Navigate to={first.path} replace />;
  return (
    <Page title="Nothing to do here">
      <p>Your account has no role that opens a page of the reading room. Ask an administrator.</p>
    </Page>
  );
}

function Forbidden() {
  return (
    <Page title="Not available">
      <p>Your roles do not open this page.</p>
    </Page>
  );
}

function NotFound() {
  return (
    <Page title="Page not found">
      <p>There is no page at this address.</p>
    </Page>
  );
}

function Guard(props: { user: User; roles: string[]; children: React.ReactNode }) {
  return hasRole(props.user, ...props.roles) ? <>{props.children}</> : <Forbidden />;
}

/** A Learning page: for leads, engineers and admins, loaded as its own chunk. */
function Learning(props: { user: User; children: React.ReactNode }) {
  return (
    <Guard user={props.user} roles={LEARNING}>
      <Suspense fallback={<p className="muted">Loading...</p>}>{props.children}</Suspense>
    </Guard>
  );
}

export function App() {
  const me = useMe();
  if (me.isPending) return <p className="muted">Loading...</p>;
  const user = me.data ?? null;
  return (
    <>
      <Header user={user} />
      {!user ? (
        <LoginPage />
      ) : (
        <Suspense fallback={<p className="muted" data-testid="reading-status">Opening the case...</p>}>
          <Routes>
            <Route path="/" element={<Home user={user} />} />
            <Route path="/read/:assignmentId" element={<Guard user={user} roles={["reader"]}><ReadingPage /></Guard>} />
            <Route path="/studies" element={<Guard user={user} roles={["lead", "admin"]}><StudiesPage /></Guard>} />
            <Route path="/studies/:studyId" element={<Guard user={user} roles={["lead", "admin"]}><StudyDetailPage /></Guard>} />
            <Route path="/curation/imports" element={<Guard user={user} roles={["curator"]}><ImportsPage /></Guard>} />
            <Route path="/curation/cohorts" element={<Guard user={user} roles={["curator"]}><CohortsPage /></Guard>} />
            <Route path="/curation/datasets" element={<Guard user={user} roles={["curator"]}><DatasetsPage /></Guard>} />
            <Route path="/reader-studies/:studyId/analytics" element={<Guard user={user} roles={["lead", "admin"]}><StudyAnalyticsPage /></Guard>} />
            <Route path="/learning" element={<Navigate to="/learning/loops" replace />} />
            <Route path="/learning/models" element={<Learning user={user}><ModelsPage /></Learning>} />
            <Route path="/learning/runs" element={<Learning user={user}><TrainingRunsPage /></Learning>} />
            <Route path="/learning/runs/:runId" element={<Learning user={user}><TrainingRunPage /></Learning>} />
            <Route path="/learning/loops" element={<Learning user={user}><LoopsPage /></Learning>} />
            <Route path="/learning/loops/:loopId" element={<Learning user={user}><LoopPage /></Learning>} />
            <Route path="/admin-tools" element={<Guard user={user} roles={["admin"]}><AdminPage /></Guard>} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Suspense>
      )}
    </>
  );
}
