/**
 * Small SVG figures drawn here (no chart library): a line chart with marked points (the learning curve, a
 * training run's loss) and a histogram with marked values (a round's pool scores and what it selected).
 * Colours and fonts are written on the elements, not taken from the page's CSS, so that the serialized SVG
 * a user downloads looks the same as the figure on the page.
 */
import { bin, extent, ticks } from "d3-array";
import { type Ref, useId } from "react";

export interface ChartPoint {
  x: number;
  y: number;
  /** Drawn larger and in the mark colour (e.g. a promoted model). */
  marked?: boolean;
  /** The point's tooltip. */
  label?: string;
}

const INK = "#d9dee5";
const MUTED = "#8a94a3";
const GRID = "#2a3039";
const LINE = "#4fa3ff";
const MARK = "#f0b429";
const BACKGROUND = "#14171c";
const FONT = "system-ui, sans-serif";
const M = { top: 16, right: 16, bottom: 44, left: 60 };

/** A linear map of `domain` onto `range`; a zero-width domain maps to the middle of the range. */
export function linear(domain: [number, number], range: [number, number]): (v: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
}

/** The domain of `values`, widened when all are equal, so that ticks and the scale stay usable. */
export function domainOf(values: number[]): [number, number] {
  const [lo, hi] = extent(values);
  if (lo === undefined || hi === undefined) return [0, 1];
  if (lo === hi) return [lo - (Math.abs(lo) || 1) * 0.05, hi + (Math.abs(hi) || 1) * 0.05];
  return [lo, hi];
}

function tickText(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString();
}

interface FrameProps {
  svgRef?: Ref<SVGSVGElement>;
  title: string;
  width: number;
  height: number;
  xLabel: string;
  yLabel: string;
  xDomain: [number, number];
  yDomain: [number, number];
  testId?: string;
  children: (x: (v: number) => number, y: (v: number) => number) => React.ReactNode;
}

/** The axes, grid and labels around a plot; `children` draws with the two scales. */
function Frame(props: FrameProps) {
  const titleId = useId();
  const { width, height } = props;
  const x = linear(props.xDomain, [M.left, width - M.right]);
  const y = linear(props.yDomain, [height - M.bottom, M.top]);
  const xTicks = ticks(props.xDomain[0], props.xDomain[1], 6);
  const yTicks = ticks(props.yDomain[0], props.yDomain[1], 5);
  const text = { fill: MUTED, fontFamily: FONT, fontSize: 11 };
  return (
    <svg
      ref={props.svgRef}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-labelledby={titleId}
      data-testid={props.testId}
      style={{ maxWidth: "100%", height: "auto" }}
    >
      <title id={titleId}>{props.title}</title>
      <rect width={width} height={height} fill={BACKGROUND} />
      {yTicks.map((t) => (
        <g key={`y${t}`}>
          <line x1={M.left} x2={width - M.right} y1={y(t)} y2={y(t)} stroke={GRID} />
          <text x={M.left - 6} y={y(t) + 4} textAnchor="end" {...text}>
            {tickText(t)}
          </text>
        </g>
      ))}
      {xTicks.map((t) => (
        <text key={`x${t}`} x={x(t)} y={height - M.bottom + 16} textAnchor="middle" {...text}>
          {tickText(t)}
        </text>
      ))}
      <line x1={M.left} x2={width - M.right} y1={height - M.bottom} y2={height - M.bottom} stroke={MUTED} />
      <line x1={M.left} x2={M.left} y1={M.top} y2={height - M.bottom} stroke={MUTED} />
      <text x={(M.left + width - M.right) / 2} y={height - 8} textAnchor="middle" {...text} fill={INK} fontSize={12}>
        {props.xLabel}
      </text>
      <text
        transform={`translate(14 ${(M.top + height - M.bottom) / 2}) rotate(-90)`}
        textAnchor="middle"
        {...text}
        fill={INK}
        fontSize={12}
      >
        {props.yLabel}
      </text>
      {props.children(x, y)}
    </svg>
  );
}

/** What every chart takes: its title, x-axis label, size, and the legend's text for marked items. */
interface ChartProps {
  title: string;
  xLabel: string;
  /** What a marked point or tick means, for the legend (no legend without marked items). */
  markLabel?: string;
  width?: number;
  height?: number;
  svgRef?: Ref<SVGSVGElement>;
  testId?: string;
}

export interface LineChartProps extends ChartProps {
  yLabel: string;
  points: ChartPoint[];
}

/** A line through `points` (sorted by x) with a dot at each; marked points larger, in the mark colour. */
export function LineChart(props: LineChartProps) {
  const { width = 640, height = 320 } = props;
  const points = [...props.points].filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
  const anyMarked = points.some((p) => p.marked);
  return (
    <Frame
      svgRef={props.svgRef}
      title={props.title}
      width={width}
      height={height}
      xLabel={props.xLabel}
      yLabel={props.yLabel}
      xDomain={domainOf(points.map((p) => p.x))}
      yDomain={domainOf(points.map((p) => p.y))}
      testId={props.testId}
    >
      {(x, y) => (
        <>
          {points.length > 1 ? (
            <path
              d={points.map((p, i) => `${i ? "L" : "M"}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(" ")}
              fill="none"
              stroke={LINE}
              strokeWidth={2}
              data-part="line"
            />
          ) : null}
          {points.map((p, i) =>
            p.marked || points.length <= 60 ? (
              <circle
                key={i}
                cx={x(p.x)}
                cy={y(p.y)}
                r={p.marked ? 6 : 3.5}
                fill={p.marked ? MARK : LINE}
                stroke={BACKGROUND}
                data-part={p.marked ? "marked-point" : "point"}
              >
                <title>{p.label ?? `${tickText(p.x)}: ${tickText(p.y)}`}</title>
              </circle>
            ) : null,
          )}
          {points.length === 0 ? (
            <text x={width / 2} y={height / 2} textAnchor="middle" fill={MUTED} fontFamily={FONT} fontSize={13}>
              No points yet
            </text>
          ) : null}
          {anyMarked && props.markLabel ? (
            <g transform={`translate(${width - M.right - 110} ${M.top + 4})`}>
              <circle cx={6} cy={6} r={6} fill={MARK} />
              <text x={18} y={10} fill={INK} fontFamily={FONT} fontSize={11}>
                {props.markLabel}
              </text>
            </g>
          ) : null}
        </>
      )}
    </Frame>
  );
}

export interface HistogramProps extends ChartProps {
  values: number[];
  /** Values drawn as ticks above the bars (e.g. the scores of the selected studies). */
  marks?: number[];
  bins?: number;
}

/** Counts of `values` in equal-width bins, with `marks` as ticks along the top. */
export function Histogram(props: HistogramProps) {
  const { width = 640, height = 260 } = props;
  const values = props.values.filter(Number.isFinite);
  const xDomain = domainOf(values);
  const bins = bin().domain(xDomain).thresholds(props.bins ?? 20)(values);
  const maxCount = Math.max(1, ...bins.map((b) => b.length));
  const marks = (props.marks ?? []).filter(Number.isFinite);
  return (
    <Frame
      svgRef={props.svgRef}
      title={props.title}
      width={width}
      height={height}
      xLabel={props.xLabel}
      yLabel="studies"
      xDomain={xDomain}
      yDomain={[0, maxCount]}
      testId={props.testId}
    >
      {(x, y) => (
        <>
          {bins.map((b, i) =>
            b.length ? (
              <rect
                key={i}
                x={x(b.x0 ?? 0) + 0.5}
                y={y(b.length)}
                width={Math.max(1, x(b.x1 ?? 0) - x(b.x0 ?? 0) - 1)}
                height={y(0) - y(b.length)}
                fill={LINE}
                data-part="bar"
              >
                <title>{`${tickText(b.x0 ?? 0)} to ${tickText(b.x1 ?? 0)}: ${b.length}`}</title>
              </rect>
            ) : null,
          )}
          {marks.map((m, i) => (
            <line key={`m${i}`} x1={x(m)} x2={x(m)} y1={M.top} y2={M.top + 10} stroke={MARK} strokeWidth={2} data-part="mark" />
          ))}
          {values.length === 0 ? (
            <text x={width / 2} y={height / 2} textAnchor="middle" fill={MUTED} fontFamily={FONT} fontSize={13}>
              No scores (the round chose at random)
            </text>
          ) : null}
          {marks.length && props.markLabel ? (
            <g transform={`translate(${width - M.right - 120} ${M.top + 16})`}>
              <line x1={0} x2={0} y1={0} y2={10} stroke={MARK} strokeWidth={2} />
              <text x={8} y={9} fill={INK} fontFamily={FONT} fontSize={11}>
                {props.markLabel}
              </text>
            </g>
          ) : null}
        </>
      )}
    </Frame>
  );
}
