// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { Route, Routes } from "react-router";
import { afterEach, describe, expect, it } from "vitest";
import { StudiesPage, StudyDetailPage } from "../../src/pages/StudyPages";
import { renderWithServices } from "./fakeApi";

afterEach(cleanup);

const READERS = [
  { id: 3, username: "reader1", roles: ["reader"] },
  { id: 4, username: "reader2", roles: ["reader"] },
];

const STUDY = {
  id: 9,
  name: "Two arms",
  status: "draft",
  dataset_id: 1,
  dataset_version_id: 5,
  dataset_version_frozen: true,
  seed: 77,
  washout_days: 0,
  counterbalance: false,
  require_calibration: true,
  created_at: "2026-01-01T00:00:00Z",
  arms: [
    { id: 1, name: "Unaided", mode: "unaided", position: 0 },
    { id: 2, name: "With AI", mode: "ai_assisted", position: 1 },
  ],
  readers: [{ reader_id: 3, username: "reader1", seed: 1, arm_order: [1, 2] }],
};

describe("StudiesPage", () => {
  it("creates a two-arm study with the readers picked from the users with the reader role", async () => {
    const { calls } = renderWithServices(
      <Routes>
        <Route path="/studies" element={<StudiesPage />} />
        <Route path="/studies/:studyId" element={<p>detail page</p>} />
      </Routes>,
      {
        "GET /api/reader-studies/": () => ({ json: [] }),
        "GET /api/users/": () => ({ json: READERS }),
        "POST /api/reader-studies/": () => ({ status: 201, json: { ...STUDY, id: 12 } }),
      },
      "/studies",
    );
    expect(await screen.findByRole("heading", { level: 1, name: "Reader studies" })).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "Pilot" } });
    fireEvent.change(screen.getByLabelText("Arm 2 mode"), { target: { value: "second_read" } });
    fireEvent.click(await screen.findByRole("checkbox", { name: "reader1" }));
    fireEvent.click(screen.getByRole("checkbox", { name: "reader2" }));
    fireEvent.change(screen.getByLabelText("Frozen dataset version (id)"), { target: { value: "5" } });
    fireEvent.change(screen.getByLabelText("Seed of the case orders (blank: random)"), { target: { value: "42" } });
    fireEvent.change(screen.getByLabelText("Washout between arms (days)"), { target: { value: "14" } });
    fireEvent.click(screen.getByRole("button", { name: "Create the study (draft)" }));
    expect(await screen.findByText("detail page")).toBeInTheDocument();
    const post = calls.find((c) => c.method === "POST" && c.path === "/api/reader-studies/");
    expect(post?.body).toEqual({
      name: "Pilot",
      arms: [
        { name: "Unaided", mode: "unaided" },
        { name: "AI-assisted", mode: "second_read" },
      ],
      reader_ids: [3, 4],
      dataset_version_id: 5,
      washout_days: 14,
      require_calibration: true,
      counterbalance: false,
      seed: 42,
    });
  });

  it("names what is missing before sending, and shows the API's detail when it refuses", async () => {
    const { calls } = renderWithServices(<StudiesPage />, {
      "GET /api/reader-studies/": () => ({ json: [] }),
      "GET /api/users/": () => ({ json: READERS }),
      "POST /api/reader-studies/": () => ({ status: 400, json: { detail: "dataset version 5 is not frozen" } }),
    });
    fireEvent.change(await screen.findByLabelText("Name"), { target: { value: "Pilot" } });
    fireEvent.click(screen.getByRole("button", { name: "Create the study (draft)" }));
    expect(await screen.findByText("Pick at least one reader.")).toBeInTheDocument();
    fireEvent.click(await screen.findByRole("checkbox", { name: "reader1" }));
    fireEvent.click(screen.getByRole("button", { name: "Create the study (draft)" }));
    expect(await screen.findByText("Give the id of a frozen dataset version.")).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "POST")).toHaveLength(0);
    fireEvent.change(screen.getByLabelText("Frozen dataset version (id)"), { target: { value: "5" } });
    fireEvent.click(screen.getByRole("button", { name: "Create the study (draft)" }));
    expect(await screen.findByText("Not created: dataset version 5 is not frozen")).toBeInTheDocument();
  });
});

describe("StudyDetailPage", () => {
  it("starts a draft, then shows the progress per reader and arm and the readings", async () => {
    let status = "draft";
    const { calls } = renderWithServices(
      <Routes>
        <Route path="/studies/:studyId" element={<StudyDetailPage />} />
      </Routes>,
      {
        "GET /api/reader-studies/9/": () => ({ json: { ...STUDY, status } }),
        "POST /api/reader-studies/9/start/": () => {
          status = "running";
          return { json: { ...STUDY, status } };
        },
        "GET /api/reader-studies/9/progress/": () => ({
          json: [
            {
              reader_id: 3,
              username: "reader1",
              total: 2,
              done: 1,
              arms: [
                { arm_id: 1, name: "Unaided", mode: "unaided", total: 1, done: 1, in_progress: 0, pending: 0, last_read_at: "2026-01-02T00:00:00Z", available: true, available_from: null, blocked_reason: "" },
                { arm_id: 2, name: "With AI", mode: "ai_assisted", total: 1, done: 0, in_progress: 0, pending: 1, last_read_at: null, available: false, available_from: null, blocked_reason: "washout until 2026-01-16" },
              ],
            },
          ],
        }),
        "GET /api/reader-studies/9/readings/": () => ({
          json: [
            { session_id: 30, reader_id: 3, username: "reader1", arm_id: 1, arm: "Unaided", mode: "unaided", study_id: 4, submitted_at: "2026-01-02T00:00:00Z", first_labels: { Edema: "present" }, final_labels: { Edema: "present" }, versions: 1, probabilities: null },
          ],
        }),
      },
      "/studies/9",
    );
    expect(await screen.findByRole("heading", { level: 1, name: "Study: Two arms" })).toBeInTheDocument();
    expect(screen.queryByRole("table", { name: "Progress per reader and arm" })).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Start the study" }));
    const progress = await screen.findByRole("table", { name: "Progress per reader and arm" });
    const rows = within(progress).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("1 / 1");
    expect(rows[1]).toHaveTextContent("washout until 2026-01-16");
    const readings = await screen.findByRole("table", { name: "Submitted readings" });
    expect(within(readings).getAllByRole("row")[1]).toHaveTextContent("Edema");
    expect(screen.getByRole("button", { name: "Close the study" })).toBeInTheDocument();
    expect(calls.some((c) => c.method === "POST" && c.path === "/api/reader-studies/9/start/")).toBe(true);
  });

  it("shows a refused start with the API's detail", async () => {
    renderWithServices(
      <Routes>
        <Route path="/studies/:studyId" element={<StudyDetailPage />} />
      </Routes>,
      {
        "GET /api/reader-studies/9/": () => ({ json: STUDY }),
        "POST /api/reader-studies/9/start/": () => ({ status: 400, json: { detail: "the dataset version is not frozen" } }),
      },
      "/studies/9",
    );
    fireEvent.click(await screen.findByRole("button", { name: "Start the study" }));
    await waitFor(() => expect(screen.getByTestId("study-action-error")).toHaveTextContent("Refused: the dataset version is not frozen"));
  });
});
