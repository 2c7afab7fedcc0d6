// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { App } from "../../src/app/App";
import { READER, renderWithServices } from "./fakeApi";

afterEach(cleanup);

const LEAD = { id: 3, username: "lead", roles: ["lead"] };
const ENGINEER = { id: 4, username: "eng", roles: ["engineer"] };
const me = (user: object) => ({ "GET /api/auth/me/": () => ({ json: { authenticated: true, user } }) });
const OPTIONS = { "GET /api/learning/options/": () => ({ json: { scoring: ["entropy", "margin"], strategies: ["diverse", "random", "top_k"], configs: ["tiny"], metrics: ["head_macro_auroc"] } }) };

const LOOP = {
  id: 3, project: 9, project_name: "AL project", scoring: "entropy", strategy: "top_k", per_round: 2, heldout_version: null,
  heldout_phantoms: 6, config_name: "tiny", train_steps: 2, retrain_every: 0, plateau_rounds: 3, plateau_delta: 0.005,
  stopped_reason: "", readers: [5], pool_size: 6, created_at: "2026-12-01T10:00:00Z",
};
const round = (number: number, extra: object) => ({
  id: 20 + number, loop: 3, number, status: "done", scoring: "entropy", strategy: "top_k", model_before: null, model_after: 40 + number,
  evaluation: 60 + number, reads_at_start: 2 * (number - 1), reads_at_end: 2 * number, heldout_value: 0.5 + number / 10, selected: [],
  scores: {}, error: "", created_at: "2026-12-01T10:00:00Z", finished_at: "2026-12-01T10:05:00Z", ...extra,
});
const ROUNDS = [
  round(1, { scoring: "", selected: [{ study: 11, image: 111, score: null }, { study: 12, image: 112, score: null }], scores: { 11: null, 12: null, 13: null } }),
  round(2, {
    selected: [{ study: 14, image: 114, score: 0.9 }, { study: 15, image: 115, score: 0.7 }],
    scores: { 13: 0.2, 14: 0.9, 15: 0.7, 16: 0.1 },
  }),
];
const CURVE = {
  loop: 3, stopped_reason: "",
  points: [
    { round: 1, reads: 2, heldout_value: 0.6, metric: "head_macro_auroc", promoted: true, model_version: 41 },
    { round: 2, reads: 4, heldout_value: 0.7, metric: "head_macro_auroc", promoted: false, model_version: 42 },
  ],
};

function loopRoutes(rounds: object[] = ROUNDS) {
  return {
    ...OPTIONS,
    "GET /api/learning/loops/3/": () => ({ json: LOOP }),
    "GET /api/learning/loops/3/rounds/": () => ({ json: rounds }),
    "GET /api/learning/loops/3/curve/": () => ({ json: CURVE }),
  };
}

describe("Learning loop page", () => {
  it("shows a lead the settings, the learning curve, the rounds and what the last round selected and why", async () => {
    renderWithServices(<App />, { ...me(LEAD), ...loopRoutes() }, "/learning/loops/3/");
    expect(await screen.findByRole("heading", { level: 1, name: "Learning loop: AL project" })).toBeInTheDocument();
    expect(screen.getByRole("navigation", { name: "Areas" })).toHaveTextContent("Learning");
    expect(screen.getByTestId("loop-settings")).toHaveTextContent("entropy + top_k, 2 studies per round");
    const curve = await screen.findByRole("img", { name: "Held-out head_macro_auroc against the number of reads" });
    expect(curve.querySelectorAll('[data-part="marked-point"]')).toHaveLength(1);
    expect(screen.getByRole("link", { name: "the curve's points as CSV" })).toHaveAttribute("href", "/api/learning/loops/3/curve/?download=csv");
    expect(screen.getByRole("link", { name: "the learning curve as PNG" })).toHaveAttribute("href", "/learning/loops/3/curve.png");
    expect(screen.getByRole("button", { name: "the learning curve as SVG" })).toBeInTheDocument();
    const rounds = await screen.findByRole("table", { name: "Rounds of the loop" });
    const rows = within(rounds).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(2);
    expect(within(rows[0]).getAllByRole("cell").map((c) => c.textContent).slice(0, 6)).toEqual(["1", "done", "random", "top_k", "0 → 2", "0.6000"]);
    expect(screen.getByRole("link", { name: "the rounds as JSON" })).toHaveAttribute("href", "/api/learning/loops/3/rounds/?download=json");
    // the last round by default: its selection with scores and ranks among the pool's 4 scores
    expect(screen.getByRole("heading", { name: "Round 2: what it selected and why" })).toBeInTheDocument();
    const selection = screen.getByRole("table", { name: "Studies selected in round 2" });
    expect(within(selection).getAllByRole("row").slice(1).map((r) => within(r).getAllByRole("cell").map((c) => c.textContent))).toEqual([
      ["#14", "#114", "0.9000", "1 of 4"],
      ["#15", "#115", "0.7000", "2 of 4"],
    ]);
    const histogram = screen.getByRole("img", { name: "Scores of the unread pool in round 2, selected studies marked" });
    expect(histogram.querySelectorAll('[data-part="mark"]')).toHaveLength(2);
    fireEvent.change(screen.getByRole("combobox", { name: /Show the selection of round/ }), { target: { value: "1" } });
    expect(screen.getByRole("table", { name: "Studies selected in round 1" })).toHaveTextContent("#11");
    expect(screen.getByRole("img", { name: /round 1/ })).toHaveTextContent("chose at random");
  });

  it("starts the next round and shows it; refuses while one is open", async () => {
    let rounds: object[] = ROUNDS;
    const { calls } = renderWithServices(
      <App />,
      {
        ...me(LEAD),
        ...loopRoutes(),
        "GET /api/learning/loops/3/rounds/": () => ({ json: rounds }),
        "POST /api/learning/loops/3/rounds/": () => {
          const started = round(3, { status: "reading", reads_at_end: null, heldout_value: null, selected: [{ study: 13, image: 113, score: 0.2 }], scores: { 13: 0.2, 16: 0.1 } });
          rounds = [...ROUNDS, started];
          return { status: 201, json: started };
        },
      },
      "/learning/loops/3/",
    );
    fireEvent.click(await screen.findByRole("button", { name: "Start the next round" }));
    expect(await screen.findByRole("heading", { name: "Round 3: what it selected and why" })).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "POST" && c.path === "/api/learning/loops/3/rounds/")).toHaveLength(1);
    await waitFor(() => expect(screen.getByRole("button", { name: "Start the next round" })).toBeDisabled());
    expect(screen.getByText("A round is open; the next starts when it has finished.")).toBeInTheDocument();
  });

  it("saves changed settings for the next rounds", async () => {
    const { calls } = renderWithServices(
      <App />,
      { ...me(LEAD), ...loopRoutes(), "PATCH /api/learning/loops/3/": (body) => ({ json: { ...LOOP, ...(body as object) } }) },
      "/learning/loops/3/",
    );
    const form = await screen.findByRole("form", { name: "Change the next rounds" });
    await waitFor(() => expect(within(form).getByRole("option", { name: "margin" })).toBeInTheDocument());
    fireEvent.change(within(form).getByRole("combobox", { name: "Scoring method" }), { target: { value: "margin" } });
    fireEvent.change(within(form).getByRole("spinbutton", { name: "Studies per round" }), { target: { value: "4" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.getByTestId("loop-settings")).toHaveTextContent("margin + top_k, 4 studies per round"));
    expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({ scoring: "margin", strategy: "top_k", per_round: 4, retrain_every: 0 });
  });

  it("refuses a reader the learning pages", async () => {
    renderWithServices(<App />, { ...me(READER), "GET /api/worklist/": () => ({ json: [] }) }, "/learning/loops/3/");
    expect(await screen.findByRole("heading", { level: 1, name: "Not available" })).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Learning" })).toBeNull();
  });
});

describe("Learning loops list and create form", () => {
  it("lists the loops and creates one, then opens it", async () => {
    const { calls } = renderWithServices(
      <App />,
      {
        ...me(ENGINEER),
        ...loopRoutes([]),
        "GET /api/learning/loops/": () => ({ json: [] }),
        "GET /api/users/": () => ({ status: 403, json: { detail: "this needs the role lead" } }),
        "POST /api/learning/loops/": () => ({ status: 201, json: LOOP }),
      },
      "/",
    );
    // an engineer's first area is Learning, which opens on the loops
    expect(await screen.findByRole("heading", { level: 1, name: "Learning loops" })).toBeInTheDocument();
    expect(await screen.findByText("No learning loop yet.")).toBeInTheDocument();
    const form = screen.getByRole("form", { name: "New learning loop" });
    fireEvent.change(within(form).getByRole("textbox", { name: "Reading project id" }), { target: { value: "9" } });
    fireEvent.change(within(form).getByRole("textbox", { name: "Study ids (comma-separated)" }), { target: { value: "11, 12 13" } });
    fireEvent.click(within(form).getByRole("button", { name: "Create the loop" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent("Pick at least one reader.");
    fireEvent.change(await within(form).findByRole("textbox", { name: "Reader ids (comma-separated)" }), { target: { value: "5" } });
    fireEvent.click(within(form).getByRole("radio", { name: "a frozen dataset version" }));
    fireEvent.change(within(form).getByRole("spinbutton", { name: "Held-out dataset version id" }), { target: { value: "2" } });
    fireEvent.click(within(form).getByRole("button", { name: "Create the loop" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Learning loop: AL project" })).toBeInTheDocument();
    expect(calls.find((c) => c.method === "POST" && c.path === "/api/learning/loops/")?.body).toEqual({
      project: 9, reader_ids: [5], pool_studies: [11, 12, 13], pool_cohort: null, pool_dataset_version: null, pool_split: null,
      scoring: "entropy", strategy: "top_k", per_round: 8, heldout_version: 2, heldout_phantoms: 0, config_name: "tiny",
      train_steps: 40, retrain_every: 0, plateau_rounds: 3, plateau_delta: 0.005,
    });
  });

  it("shows the server's refusal naming the field", async () => {
    renderWithServices(
      <App />,
      {
        ...me(LEAD),
        ...OPTIONS,
        "GET /api/learning/loops/": () => ({ json: [LOOP] }),
        "GET /api/users/": () => ({ json: [{ id: 5, username: "reader5", roles: ["reader"] }] }),
        "POST /api/learning/loops/": () => ({ status: 409, json: { detail: "project: AL project already has a learning loop" } }),
      },
      "/learning/loops",
    );
    const list = await screen.findByRole("table", { name: "Learning loops" });
    expect(within(list).getByRole("link", { name: "AL project" })).toHaveAttribute("href", "/learning/loops/3/");
    const form = screen.getByRole("form", { name: "New learning loop" });
    fireEvent.change(within(form).getByRole("textbox", { name: "Reading project id" }), { target: { value: "9" } });
    fireEvent.change(within(form).getByRole("textbox", { name: "Study ids (comma-separated)" }), { target: { value: "11" } });
    fireEvent.click(await within(form).findByRole("checkbox", { name: "reader5" }));
    fireEvent.click(within(form).getByRole("button", { name: "Create the loop" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent("The loop was not created: project: AL project already has a learning loop");
  });
});

const RUN = {
  id: 7, name: "nightly", config_name: "tiny", data_spec: "phantoms:64", dataset_version: null, max_steps: 4, status: "running", error: "",
  metrics: {}, progress: [{ step: 1, loss: 2.5 }], log: "step 1 loss 2.5", cancel_requested: false, resumes: 0, heartbeat_at: null,
  model_version: null, created_by: 4, created_at: "2026-12-01T10:00:00Z", updated_at: "2026-12-01T10:00:00Z",
};

describe("Training runs", () => {
  it("polls a running run's loss curve and lets an engineer cancel it", async () => {
    let polls = 0;
    const { calls } = renderWithServices(
      <App />,
      {
        ...me(ENGINEER),
        "GET /api/training-runs/7/": () => {
          polls += 1;
          const progress = [{ step: 1, loss: 2.5 }, ...(polls > 1 ? [{ step: 2, loss: 2.0 }, { step: 3, loss: 1.6 }] : [])];
          return { json: { ...RUN, progress } };
        },
        "POST /api/training-runs/7/cancel/": () => ({ json: { ...RUN, status: "cancelled", cancel_requested: true } }),
      },
      "/learning/runs/7",
    );
    expect(await screen.findByRole("heading", { level: 1, name: "Training run: nightly" })).toBeInTheDocument();
    const curve = screen.getByRole("img", { name: "Training loss of run nightly by step" });
    expect(curve.querySelectorAll('[data-part="point"]')).toHaveLength(1);
    await waitFor(() => expect(curve.querySelectorAll('[data-part="point"]')).toHaveLength(3), { timeout: 5000 });
    expect(screen.getByRole("link", { name: "the loss series as CSV" })).toHaveAttribute("href", "/api/training-runs/7/loss/?download=csv");
    fireEvent.click(screen.getByRole("button", { name: "Cancel the run" }));
    await waitFor(() => expect(screen.getByTestId("run-status")).toHaveTextContent("cancelled"));
    expect(calls.filter((c) => c.path === "/api/training-runs/7/cancel/")).toHaveLength(1);
    expect(screen.queryByRole("button", { name: "Cancel the run" })).toBeNull();
  });

  it("lists the runs; a lead may not start or cancel one", async () => {
    renderWithServices(<App />, { ...me(LEAD), "GET /api/training-runs/": () => ({ json: [{ ...RUN, status: "done" }] }) }, "/learning/runs");
    const table = await screen.findByRole("table", { name: "Training runs" });
    expect(within(table).getAllByRole("cell").map((c) => c.textContent)).toEqual(["nightly", "done", "tiny", "phantoms:64", "1 of 4", expect.any(String)]);
    expect(screen.getByRole("link", { name: "the runs as CSV" })).toHaveAttribute("href", "/api/training-runs/?download=csv");
    expect(screen.queryByRole("form", { name: "Start a training run" })).toBeNull();
  });

  it("queues a run from the form", async () => {
    const { calls } = renderWithServices(
      <App />,
      {
        ...me(ENGINEER),
        ...OPTIONS,
        "GET /api/training-runs/": () => ({ json: [] }),
        "POST /api/training-runs/": () => ({ status: 201, json: { ...RUN, status: "queued", progress: [] } }),
        "GET /api/training-runs/7/": () => ({ json: { ...RUN, status: "queued", progress: [] } }),
      },
      "/learning/runs",
    );
    const form = await screen.findByRole("form", { name: "Start a training run" });
    fireEvent.change(within(form).getByRole("textbox", { name: "Name" }), { target: { value: "nightly" } });
    fireEvent.change(within(form).getByRole("textbox", { name: "Step limit (blank: the config's)" }), { target: { value: "4" } });
    fireEvent.click(within(form).getByRole("button", { name: "Queue the run" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Training run: nightly" })).toBeInTheDocument();
    expect(calls.find((c) => c.method === "POST" && c.path === "/api/training-runs/")?.body).toEqual({
      name: "nightly", config_name: "tiny", data_spec: "phantoms:64", dataset_version: null, max_steps: 4, activate: false,
    });
  });
});

const VERSION = {
  id: 41, name: "learning-project-9", version: "round-1", description: "", config_name: "tiny", config: {}, checkpoint_sha256: "abcdef0123456789",
  dataset_version: null, metrics: { steps: 2 }, is_active: false, created_by: null, created_at: "2026-12-01T10:00:00Z",
};
const EVALUATION = {
  id: 61, project: 9, candidate: 41, baseline: null, heldout_version: null, heldout_spec: "phantoms:6:seed=1000", metric: "head_macro_auroc",
  margin: 0, status: "done", candidate_value: 0.6, baseline_value: null, beats: true, promoted: true, reason: "no current version", error: "",
  created_by: null, created_at: "2026-12-01T10:00:00Z",
};

describe("Models page", () => {
  it("shows the versions and evaluations; an engineer promotes a candidate and follows the queued evaluation", async () => {
    let evaluationPolls = 0;
    let promoted = false;
    const { calls } = renderWithServices(
      <App />,
      {
        ...me(ENGINEER),
        ...OPTIONS,
        "GET /api/model-versions/": () => ({ json: [VERSION] }),
        "GET /api/model-evaluations/": () => ({ json: promoted ? [{ ...EVALUATION, id: 62 }, EVALUATION] : [EVALUATION] }),
        "GET /api/learning/loops/": () => ({ json: [LOOP] }),
        "GET /api/projects/9/model/": () => ({
          json: { project: 9, own: true, current: VERSION, changes: [{ id: 1, kind: "promote", previous: null, current: 41, evaluation: 61, created_by: null, created_at: "2026-12-01T10:00:00Z" }] },
        }),
        "POST /api/projects/9/model/promote/": () => ({ status: 202, json: { ...EVALUATION, id: 62, status: "queued", candidate_value: null, promoted: false, beats: false } }),
        "GET /api/model-evaluations/62/": () => {
          evaluationPolls += 1;
          promoted = evaluationPolls > 1;
          return { json: promoted ? { ...EVALUATION, id: 62, candidate_value: 0.7, baseline_value: 0.6, reason: "beats by 0.1" } : { ...EVALUATION, id: 62, status: "running" } };
        },
      },
      "/learning/models",
    );
    const versions = await screen.findByRole("table", { name: "Model versions" });
    expect(within(versions).getAllByRole("cell").map((c) => c.textContent).slice(0, 5)).toEqual(["#41 learning-project-9 round-1", "tiny", "abcdef012345", "-", "steps 2"]);
    const evaluations = await screen.findByRole("table", { name: "Evaluations" });
    expect(within(evaluations).getAllByRole("row")).toHaveLength(2);
    expect(screen.getByRole("link", { name: "the evaluations as CSV" })).toHaveAttribute("href", "/api/model-evaluations/?download=csv");
    fireEvent.change(screen.getByRole("combobox", { name: "Reading project" }), { target: { value: "9" } });
    expect(await screen.findByTestId("project-current")).toHaveTextContent("#41 learning-project-9 round-1");
    expect(screen.getByRole("table", { name: "Model changes of project 9" })).toHaveTextContent("promote");
    const form = screen.getByRole("form", { name: "Promote a candidate" });
    await waitFor(() => expect(within(form).getByRole("option", { name: "#41 learning-project-9 round-1" })).toBeInTheDocument());
    fireEvent.change(within(form).getByRole("combobox", { name: "Candidate" }), { target: { value: "41" } });
    fireEvent.click(within(form).getByRole("button", { name: "Evaluate and promote" }));
    expect(await within(form).findByRole("status")).toHaveTextContent(/Evaluation #62 is (queued|running)/);
    await waitFor(() => expect(within(form).getByRole("status")).toHaveTextContent("Evaluation #62: head_macro_auroc 0.7000 against 0.6000; promoted (beats by 0.1)."), { timeout: 6000 });
    await waitFor(() => expect(within(screen.getByRole("table", { name: "Evaluations" })).getAllByRole("row")).toHaveLength(3));
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ candidate: 41, heldout_version: null, heldout_split: null, heldout_phantoms: 32, metric: null, margin: null });
  });
});
