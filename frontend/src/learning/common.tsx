/**
 * What the Learning pages share: the area's sub-navigation, a table component, value formatting, and the
 * query keys of the learning API (mutations invalidate by these).
 */
import type { ReactNode } from "react";
import { NavLink } from "react-router";
import type { Schemas } from "../api/http";

export type ModelVersion = Schemas["ModelVersionOutput"];
export type Evaluation = Schemas["ModelEvaluationOutput"];
export type TrainingRun = Schemas["TrainingRunOutput"];
export type Loop = Schemas["LearningLoopOutput"];
export type Round = Schemas["LearningRoundOutput"];

export const KEYS = {
  versions: ["model-versions"] as const,
  evaluations: ["model-evaluations"] as const,
  projectModel: (projectId: number) => ["project-model", projectId] as const,
  runs: ["training-runs"] as const,
  run: (runId: number) => ["training-runs", runId] as const,
  loops: ["learning-loops"] as const,
  loop: (loopId: number) => ["learning-loops", loopId] as const,
  rounds: (loopId: number) => ["learning-loops", loopId, "rounds"] as const,
  curve: (loopId: number) => ["learning-loops", loopId, "curve"] as const,
};

/** Training-run states in which the run may still change (the page polls them). */
export const RUN_ACTIVE = new Set(["queued", "running"]);
/** Round states of an open round. */
export const ROUND_OPEN = new Set(["reading", "training"]);

export function date(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : "-";
}

export function num(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "-";
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

export function yesNo(value: boolean | null | undefined): string {
  return value ? "yes" : "no";
}

/** The Learning area's pages. */
export function LearningNav() {
  return (
    <nav aria-label="Learning" className="subnav">
      <NavLink to="/learning/models">Models</NavLink>
      <NavLink to="/learning/runs">Training runs</NavLink>
      <NavLink to="/learning/loops">Learning loops</NavLink>
    </nav>
  );
}

export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
}

/** A table with a caption (its accessible name) and column headers; `rowKey` keys the rows. */
export function DataTable<T>(props: { caption: string; rows: T[]; columns: Column<T>[]; rowKey: (row: T) => string | number; testId?: string; empty?: string }) {
  if (props.rows.length === 0) return <p className="muted">{props.empty ?? "Nothing yet."}</p>;
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label={`${props.caption} (scrolls sideways)`}>
      <table className="list" data-testid={props.testId}>
        <caption className="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th scope="col" key={c.header}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr key={props.rowKey(row)}>
              {props.columns.map((c) => (
                <td key={c.header}>{c.cell(row)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Comma- or space-separated whole numbers (ids), or null when any part is not one. */
export function parseIds(text: string): number[] | null {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const ids = parts.map(Number);
  return ids.every((n) => Number.isInteger(n) && n > 0) ? ids : null;
}
