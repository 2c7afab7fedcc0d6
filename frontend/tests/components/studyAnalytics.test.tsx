// @vitest-environment jsdom
import { cleanup, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { App } from "../../src/app/App";
import { READER, renderWithServices } from "./fakeApi";

afterEach(cleanup);

const LEAD = { id: 3, username: "lead", roles: ["lead"] };
const ANALYTICS = {
  study_id: 4,
  name: "Two arms",
  reads: 12,
  fixations: 340,
  region_sources: ["model_attention"],
  figures: { roc: "/api/reader-studies/4/analytics/figures/roc.png", arms: "/api/reader-studies/4/analytics/figures/arms.png" },
  archive_url: "/api/reader-studies/4/analytics/archive.zip",
  kappa: [{ arm: "Unaided", kind: "reader_pair", rater_a: "r1", rater_b: "r2", n_items: 42, kappa: 0.61234 }],
  fleiss: [],
  accuracy: [{ arm: "Unaided", rater: "model", auroc: 0.9, auroc_ci_low: 0.8, auroc_ci_high: null }],
  mrmc: [],
  arm_comparison: [],
  by_reader: [],
  by_arm: [],
  by_case: [],
};

describe("StudyAnalyticsPage", () => {
  it("shows a lead the tables, the figures and the archive link of a study", async () => {
    renderWithServices(
      <App />,
      {
        "GET /api/auth/me/": () => ({ json: { authenticated: true, user: LEAD } }),
        "GET /api/reader-studies/4/analytics/": () => ({ json: ANALYTICS }),
      },
      "/reader-studies/4/analytics",
    );
    expect(await screen.findByRole("heading", { level: 1, name: "Analytics: Two arms" })).toBeInTheDocument();
    expect(screen.getByTestId("analytics-summary").textContent).toContain("12 reads, 340 fixations");
    expect(screen.getByTestId("analytics-archive").getAttribute("href")).toBe("/api/reader-studies/4/analytics/archive.zip");
    expect(screen.getByTestId("analytics-figure-roc").getAttribute("src")).toBe("/api/reader-studies/4/analytics/figures/roc.png");
    expect(screen.getAllByRole("link", { name: "SVG" })[0].getAttribute("href")).toBe("/api/reader-studies/4/analytics/figures/roc.svg?download=1");
    const kappa = screen.getByTestId("analytics-table-kappa");
    expect(within(kappa).getAllByRole("cell").map((c) => c.textContent)).toEqual(["Unaided", "reader_pair", "r1", "r2", "42", "0.612"]);
    const accuracy = screen.getByTestId("analytics-table-accuracy");
    expect(within(accuracy).getAllByRole("cell").at(-1)?.textContent).toBe("");
  });

  it("refuses a reader the analytics page", async () => {
    renderWithServices(<App />, { "GET /api/auth/me/": () => ({ json: { authenticated: true, user: READER } }), "GET /api/worklist/": () => ({ json: [] }) }, "/reader-studies/4/analytics");
    expect(await screen.findByRole("heading", { level: 1, name: "Not available" })).toBeInTheDocument();
  });
});
