import { useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { useNavigate } from "react-router";
import { type Schemas, unwrap } from "../api/http";
import { useServices } from "../app/context";
import { ErrorLine, Page } from "../app/page";
import { loadViewer } from "../viewer/handle";
import { modeText } from "./StudyPages";

export type WorklistItem = Schemas["AssignmentOutput"];

const STATUS_TEXT: Record<string, string> = { pending: "to read", in_progress: "in progress", done: "done" };

export function useWorklist() {
  const { http } = useServices();
  return useQuery({ queryKey: ["worklist"], queryFn: () => unwrap(http.GET("/api/worklist/")) });
}

/**
 * The case a reader opens next. From the worklist: the one in progress, else the first to read. While
 * reading case `after`: the first case after it in worklist order that is not done (wrapping around).
 */
export function nextCase(items: WorklistItem[], after?: number): WorklistItem | undefined {
  items = items.filter(isAvailable);
  const open = items.filter((item) => item.status !== "done" && item.id !== after);
  if (after === undefined) return open.find((item) => item.status === "in_progress") ?? open[0];
  const index = items.findIndex((item) => item.id === after);
  return items.slice(index + 1).find((item) => item.status !== "done") ?? open[0];
}

/** Whether a case may be opened now (an earlier arm unfinished, or its washout running, blocks it). */
export function isAvailable(item: WorklistItem): boolean {
  return item.available !== false;
}

/** Why a case cannot be opened yet, with the date it opens when the server knows it. */
export function blockedText(item: WorklistItem): string {
  if (isAvailable(item)) return "";
  const from = item.available_from ? `opens ${new Date(item.available_from).toLocaleString()}` : "";
  return [item.blocked_reason, from].filter(Boolean).join("; ") || "not open yet";
}

/** Load the viewer module and the first image of a case into the caches, when the browser is idle. */
export function usePrefetchCase(item: WorklistItem | undefined, enabled = true): void {
  const { api } = useServices();
  const imageId = item?.study.image_ids[0];
  useEffect(() => {
    if (!enabled || imageId === undefined) return;
    const run = () => void loadViewer().then((viewer) => viewer.prefetchImage(api, imageId)).catch(() => undefined);
    const idle = window.requestIdleCallback?.(run, { timeout: 1000 });
    const timer = idle === undefined ? setTimeout(run, 200) : undefined;
    return () => {
      if (idle !== undefined) window.cancelIdleCallback?.(idle);
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [api, imageId, enabled]);
}

/**
 * The reader's worklist. Its bundle holds no Cornerstone: once the list is on screen and the browser is
 * idle, it loads the viewer module and the next case's first image, so that opening it is fast.
 */
export function WorklistPage() {
  const navigate = useNavigate();
  const worklist = useWorklist();
  const items = worklist.data;
  usePrefetchCase(items && nextCase(items));
  return (
    <Page title="Worklist">
      {worklist.isPending ? <p className="muted">Loading the worklist...</p> : null}
      <ErrorLine error={worklist.error} prefix="Cannot load the worklist" />
      {items && items.length === 0 ? (
        <p className="muted" data-testid="worklist-empty">
          No cases assigned to you.
        </p>
      ) : null}
      {items && items.length > 0 ? (
        <table className="worklist">
          <caption className="visually-hidden">Cases assigned to you</caption>
          <thead>
            <tr>
              <th scope="col">Study</th>
              <th scope="col">Project</th>
              <th scope="col">Arm</th>
              <th scope="col">Images</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="visually-hidden">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) => {
              const title = item.study.title || `Study ${item.study.id}`;
              const blocked = blockedText(item);
              return (
                <tr key={item.id} data-testid="worklist-item" data-assignment={item.id} data-status={item.status} data-available={isAvailable(item) ? "yes" : "no"}>
                  <td>
                    <div className="title">{title}</div>
                    <div className="muted small">{item.study.indication}</div>
                  </td>
                  <td>{item.project}</td>
                  <td data-testid="worklist-arm">{item.arm ? `${item.arm.name} (${modeText(item.arm.mode)})` : "-"}</td>
                  <td>{item.study.image_ids.length}</td>
                  <td>
                    <span className={`badge status-${item.status}`}>{STATUS_TEXT[item.status ?? ""] ?? item.status}</span>
                    {blocked ? (
                      <div className="muted small" data-testid="worklist-blocked">
                        Not open: {blocked}
                      </div>
                    ) : null}
                  </td>
                  <td>
                    <button
                      type="button"
                      className={item.status === "done" ? "" : "primary"}
                      data-testid="open-case"
                      disabled={item.status === "done" || !isAvailable(item)}
                      aria-label={`${item.status === "in_progress" ? "Resume" : "Read"} ${title}`}
                      onClick={() => {
                        performance.mark("rr:open-case");
                        navigate(`/read/${item.id}${window.location.search}`);
                      }}
                    >
                      {item.status === "in_progress" ? "Resume" : "Read"}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
    </Page>
  );
}
