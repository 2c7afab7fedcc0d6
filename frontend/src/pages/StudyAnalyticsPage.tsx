/**
 * Analytics of a reader study (study leads and admins): the result tables from
 * GET /api/reader-studies/{id}/analytics/, the server-drawn figures as images (each downloadable as PNG or
 * SVG), and the archive (tidy CSV + Parquet tables, figures, data dictionary) as one zip.
 */
import { useQuery } from "@tanstack/react-query";
import { useParams } from "react-router";
import { type Schemas, unwrap } from "../api/http";
import { useServices } from "../app/context";
import { ErrorLine, Page } from "../app/page";

type Row = Record<string, unknown>;

const FIGURE_TITLES: Record<string, string> = {
  heatmaps: "Fixation density per case, reader and arm",
  arms: "Per-arm means with 95% intervals",
  roc: "Readers' operating points over the model's ROC curve",
  calibration: "Calibration quality of the sessions",
};

const TABLES: { key: keyof Schemas["AnalyticsOutput"]; title: string }[] = [
  { key: "arm_comparison", title: "Arm comparison (paired differences, arm B minus arm A)" },
  { key: "mrmc", title: "MRMC comparison of arms (Obuchowski-Rockette, AUROC)" },
  { key: "accuracy", title: "Accuracy against the reference standard (95% bootstrap CIs over cases)" },
  { key: "kappa", title: "Cohen's kappa (reader pairs, reader vs model, reader vs reference)" },
  { key: "fleiss", title: "Fleiss' kappa per observation" },
  { key: "by_arm", title: "Per arm" },
  { key: "by_reader", title: "Per reader and arm" },
  { key: "by_case", title: "Per case and arm" },
];

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toFixed(3);
  return String(value);
}

function ResultTable(props: { id: string; title: string; rows: Row[] }) {
  const columns = Array.from(new Set(props.rows.flatMap((r) => Object.keys(r))));
  return (
    <section aria-labelledby={`table-${props.id}`}>
      <h2 id={`table-${props.id}`}>{props.title}</h2>
      {props.rows.length === 0 ? (
        <p className="muted">No rows.</p>
      ) : (
        <div style={{ overflowX: "auto" }} tabIndex={0} role="region" aria-label={`${props.title} (scrolls sideways)`}>
          <table className="list" data-testid={`analytics-table-${props.id}`}>
            <thead>
              <tr>
                {columns.map((c) => (
                  <th scope="col" key={c}>
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {props.rows.map((row, i) => (
                <tr key={i}>
                  {columns.map((c) => (
                    <td key={c}>{cell(row[c])}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function StudyAnalyticsPage() {
  const { http } = useServices();
  const studyId = Number(useParams().studyId);
  const analytics = useQuery({
    queryKey: ["reader-study-analytics", studyId],
    queryFn: () => unwrap(http.GET("/api/reader-studies/{study_id}/analytics/", { params: { path: { study_id: studyId } } })),
    enabled: Number.isInteger(studyId) && studyId > 0,
  });
  const data = analytics.data;
  return (
    <Page title={data ? `Analytics: ${data.name}` : "Reader-study analytics"}>
      {analytics.isPending ? <p className="muted">Computing the analytics...</p> : null}
      <ErrorLine error={analytics.error} prefix="Cannot load the analytics" />
      {data ? (
        <>
          <p data-testid="analytics-summary">
            {data.reads} reads, {data.fixations} fixations; finding regions from {data.region_sources.join(", ") || "nothing"}.
          </p>
          <p>
            <a className="button-link" href={data.archive_url} download data-testid="analytics-archive">
              Download the archive (tables, figures, data dictionary)
            </a>
          </p>
          <section aria-labelledby="figures-heading">
            <h2 id="figures-heading">Figures</h2>
            <div style={{ display: "grid", gridTemplateColumns: "repeat(auto-fit, minmax(22rem, 1fr))", gap: "1rem" }}>
              {Object.entries(data.figures).map(([name, url]) => (
                <figure key={name}>
                  <img src={url} alt={FIGURE_TITLES[name] ?? name} data-testid={`analytics-figure-${name}`} style={{ maxWidth: "100%" }} />
                  <figcaption>
                    {FIGURE_TITLES[name] ?? name}: <a href={`${url}?download=1`}>PNG</a>,{" "}
                    <a href={`${url.replace(/\.png$/, ".svg")}?download=1`}>SVG</a>
                  </figcaption>
                </figure>
              ))}
            </div>
          </section>
          {TABLES.map((t) => (
            <ResultTable key={t.key} id={t.key} title={t.title} rows={(data[t.key] as Row[] | undefined) ?? []} />
          ))}
        </>
      ) : null}
    </Page>
  );
}

export default StudyAnalyticsPage;
