import type { ApiClient } from "../api/client";
import type { WorklistItem } from "../api/types";
import { h, mount } from "./dom";

const STATUS_TEXT: Record<string, string> = { pending: "to read", in_progress: "in progress", done: "done" };

/** The reader's worklist; `onOpen` is called with the assignment to read. */
export function worklistScreen(api: ApiClient, onOpen: (item: WorklistItem) => void): HTMLElement {
  const body = h("div", { class: "worklist-body" }, h("p", { class: "muted" }, "Loading worklist..."));
  const root = h("main", { class: "page" }, h("h2", {}, "Worklist"), body);
  api
    .worklist()
    .then((items) => {
      if (items.length === 0) {
        mount(body, h("p", { class: "muted", "data-testid": "worklist-empty" }, "No cases assigned to you."));
        return;
      }
      const rows = items.map((item) =>
        h(
          "tr",
          { "data-testid": "worklist-item", "data-assignment": item.id, "data-status": item.status },
          h("td", {}, h("div", { class: "title" }, item.study.title || `Study ${item.study.id}`), h("div", { class: "muted small" }, item.study.indication)),
          h("td", {}, item.project),
          h("td", {}, String(item.study.image_ids.length)),
          h("td", {}, h("span", { class: `badge status-${item.status}` }, STATUS_TEXT[item.status] ?? item.status)),
          h(
            "td",
            {},
            h(
              "button",
              {
                class: item.status === "done" ? "" : "primary",
                "data-testid": "open-case",
                disabled: item.status === "done",
                onclick: () => onOpen(item),
              },
              item.status === "in_progress" ? "Resume" : "Read",
            ),
          ),
        ),
      );
      mount(
        body,
        h(
          "table",
          { class: "worklist" },
          h("thead", {}, h("tr", {}, h("th", {}, "Study"), h("th", {}, "Project"), h("th", {}, "Images"), h("th", {}, "Status"), h("th", {}, ""))),
          h("tbody", {}, rows),
        ),
      );
    })
    .catch((error) => mount(body, h("p", { class: "error", role: "alert" }, `Cannot load the worklist: ${String(error.message ?? error)}`)));
  return root;
}
