// @vitest-environment jsdom
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { Histogram, LineChart, domainOf, linear } from "../../src/learning/charts";
import { downloadUrl, rowsCsv, svgMarkup } from "../../src/learning/downloads";

afterEach(cleanup);

describe("scales", () => {
  it("maps a domain linearly onto a range, and widens a domain of one value", () => {
    const y = linear([0, 10], [200, 0]);
    expect([y(0), y(5), y(10)]).toEqual([200, 100, 0]);
    expect(linear([3, 3], [0, 100])(3)).toBe(50);
    expect(domainOf([0.6, 0.6])).toEqual([0.57, 0.63]);
    expect(domainOf([])).toEqual([0, 1]);
    expect(domainOf([4, 1, 9])).toEqual([1, 9]);
  });
});

describe("LineChart", () => {
  const points = [
    { x: 16, y: 0.62, marked: true },
    { x: 8, y: 0.55 },
    { x: 24, y: 0.6 },
  ];

  it("draws a line through the points in x order, marks the marked ones and has an accessible name", () => {
    render(<LineChart title="Held-out AUROC against reads" xLabel="reads" yLabel="AUROC" points={points} markLabel="promoted" testId="c" />);
    const svg = screen.getByRole("img", { name: "Held-out AUROC against reads" });
    const path = svg.querySelector('[data-part="line"]')?.getAttribute("d") ?? "";
    const xs = [...path.matchAll(/[ML]([\d.]+),([\d.]+)/g)].map((m) => Number(m[1]));
    expect(xs).toHaveLength(3);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    // the lowest value sits lowest on the page (largest y), the highest highest
    const ys = [...path.matchAll(/[ML]([\d.]+),([\d.]+)/g)].map((m) => Number(m[2]));
    expect(ys[0]).toBeGreaterThan(ys[2]);
    expect(ys[1]).toBeLessThan(ys[2]);
    expect(svg.querySelectorAll('[data-part="marked-point"]')).toHaveLength(1);
    expect(svg.querySelectorAll('[data-part="point"]')).toHaveLength(2);
    expect(svg.textContent).toContain("promoted");
    expect(svg.textContent).toContain("reads");
  });

  it("says when there is nothing to draw", () => {
    render(<LineChart title="Empty" xLabel="x" yLabel="y" points={[]} />);
    const svg = screen.getByRole("img", { name: "Empty" });
    expect(svg.querySelector('[data-part="line"]')).toBeNull();
    expect(svg.textContent).toContain("No points yet");
  });

  it("serializes to a standalone SVG document", () => {
    render(<LineChart title="Loss" xLabel="step" yLabel="loss" points={points} />);
    const markup = svgMarkup(screen.getByRole("img", { name: "Loss" }) as unknown as SVGSVGElement);
    expect(markup.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg')).toBe(true);
    expect(markup).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(markup).not.toContain("max-width");
    const parsed = new DOMParser().parseFromString(markup, "image/svg+xml");
    expect(parsed.querySelector("parsererror")).toBeNull();
    expect(parsed.documentElement.querySelectorAll("circle")).toHaveLength(3);
  });
});

describe("Histogram", () => {
  it("counts every value once and marks the selected ones", () => {
    const values = [0.1, 0.2, 0.2, 0.3, 0.9, 0.95, 1.0];
    render(<Histogram title="Scores" xLabel="score" values={values} marks={[0.95, 1.0]} markLabel="selected" bins={5} />);
    const svg = screen.getByRole("img", { name: "Scores" });
    const counts = [...svg.querySelectorAll('[data-part="bar"] title')].map((t) => Number(t.textContent?.split(": ")[1]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(values.length);
    expect(svg.querySelectorAll('[data-part="mark"]')).toHaveLength(2);
  });

  it("says when the round had no scores", () => {
    render(<Histogram title="None" xLabel="score" values={[]} />);
    expect(screen.getByRole("img", { name: "None" }).textContent).toContain("chose at random");
  });
});

describe("downloads", () => {
  it("writes CSV with quoting and JSON-encoded nested values, and adds download= to a URL", () => {
    const csv = rowsCsv([{ a: 1, b: 'say "hi", ok', c: [1, 2] }, { a: null }], ["a", "b", "c"]);
    expect(csv).toBe('a,b,c\n1,"say ""hi"", ok","[1,2]"\n,,\n');
    expect(downloadUrl("/api/x/", "csv")).toBe("/api/x/?download=csv");
    expect(downloadUrl("/api/x/?project=2", "json")).toBe("/api/x/?project=2&download=json");
  });
});
