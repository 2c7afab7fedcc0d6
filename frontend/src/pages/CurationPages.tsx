/** Curator pages: lists from GET /api/imports/, /api/cohorts/ and /api/datasets/. */
import { type UseQueryResult, useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { type Schemas, unwrap } from "../api/http";
import { useServices } from "../app/context";
import { ErrorLine, Page } from "../app/page";

const date = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : "-");

interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
}

/** A page holding one server list as a table: loading, error and empty states included. */
function ListPage<T extends { id: number }>(props: { title: string; what: string; query: UseQueryResult<T[]>; columns: Column<T>[] }) {
  const { query, columns } = props;
  return (
    <Page title={props.title}>
      {query.isPending ? <p className="muted">Loading...</p> : null}
      <ErrorLine error={query.error} prefix={`Cannot load the ${props.what}`} />
      {query.data?.length === 0 ? <p className="muted">No {props.what} yet.</p> : null}
      {query.data?.length ? (
        <table className="list">
          <thead>
            <tr>
              {columns.map((c) => (
                <th scope="col" key={c.header}>
                  {c.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {query.data.map((row) => (
              <tr key={row.id}>
                {columns.map((c) => (
                  <td key={c.header}>{c.cell(row)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Page>
  );
}

const IMPORT_COLUMNS: Column<Schemas["ImportJobOutput"]>[] = [
  { header: "Job", cell: (job) => `#${job.id}` },
  { header: "Status", cell: (job) => job.status },
  {
    header: "Progress",
    cell: (job) => (
      <>
        <progress max={1} value={job.progress} aria-label={`Job ${job.id} progress`} /> {Math.round(job.progress * 100)}%
      </>
    ),
  },
  { header: "Imported", cell: (job) => job.imported ?? 0 },
  { header: "Skipped", cell: (job) => job.skipped ?? 0 },
  { header: "Failed", cell: (job) => job.failed ?? 0 },
];

export function ImportsPage() {
  const { http } = useServices();
  const jobs = useQuery({ queryKey: ["imports"], queryFn: () => unwrap(http.GET("/api/imports/")), refetchInterval: 5000 });
  return <ListPage title="Imports" what="import jobs" query={jobs} columns={IMPORT_COLUMNS} />;
}

const COHORT_COLUMNS: Column<Schemas["CohortOutput"]>[] = [
  { header: "Name", cell: (cohort) => cohort.name },
  { header: "Description", cell: (cohort) => cohort.description },
  { header: "Filters", cell: (cohort) => <code>{JSON.stringify(cohort.filters ?? {})}</code> },
  { header: "Created", cell: (cohort) => date(cohort.created_at) },
];

export function CohortsPage() {
  const { http } = useServices();
  const cohorts = useQuery({ queryKey: ["cohorts"], queryFn: () => unwrap(http.GET("/api/cohorts/")) });
  return <ListPage title="Cohorts" what="cohorts" query={cohorts} columns={COHORT_COLUMNS} />;
}

const DATASET_COLUMNS: Column<Schemas["DatasetOutput"]>[] = [
  {
    header: "Name",
    cell: (dataset) => (
      <>
        {dataset.name}
        <div className="muted small">{dataset.description}</div>
      </>
    ),
  },
  { header: "Cohort", cell: (dataset) => dataset.cohort ?? "-" },
  {
    header: "Frozen versions",
    cell: (dataset) =>
      dataset.versions.length === 0 ? "none" : dataset.versions.map((v) => `v${v.number}${v.tag ? ` (${v.tag})` : ""}: ${v.item_count} items`).join("; "),
  },
  { header: "Created", cell: (dataset) => date(dataset.created_at) },
];

export function DatasetsPage() {
  const { http } = useServices();
  const datasets = useQuery({ queryKey: ["datasets"], queryFn: () => unwrap(http.GET("/api/datasets/")) });
  return <ListPage title="Datasets" what="datasets" query={datasets} columns={DATASET_COLUMNS} />;
}
