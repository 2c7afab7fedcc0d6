/**
 * Downloads of what the learning pages show: a table as the API's CSV/JSON (`?download=`), or, for rows the
 * page derives itself, as CSV/JSON written here; a figure as SVG (the rendered element serialized) and PNG
 * (the SVG rasterised through a canvas, or a server-drawn PNG where one exists).
 */
import type { RefObject } from "react";

/** `url` with `download=kind` added to its query. */
export function downloadUrl(url: string, kind: "csv" | "json"): string {
  return `${url}${url.includes("?") ? "&" : "?"}download=${kind}`;
}

/** The SVG element as a standalone document (with the SVG namespace and an XML declaration). */
export function svgMarkup(svg: SVGSVGElement): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  copy.removeAttribute("style"); // the page's sizing, not the figure's
  let markup = new XMLSerializer().serializeToString(copy);
  // An SVG element serializes with its namespace; one built outside a document may not.
  if (!markup.slice(0, markup.indexOf(">")).includes('xmlns="http://www.w3.org/2000/svg"')) markup = markup.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"');
  return `<?xml version="1.0" encoding="UTF-8"?>\n${markup}`;
}

/** Save a Blob under `filename` through a temporary link. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The SVG rasterised at `scale` times its size, as a PNG Blob. */
export async function svgPng(svg: SVGSVGElement, scale = 2): Promise<Blob> {
  const width = Number(svg.getAttribute("width")) || svg.clientWidth;
  const height = Number(svg.getAttribute("height")) || svg.clientHeight;
  const url = URL.createObjectURL(new Blob([svgMarkup(svg)], { type: "image/svg+xml" }));
  try {
    const image = new Image();
    image.width = width;
    image.height = height;
    await new Promise<void>((resolve, reject) => {
      image.onload = () => resolve();
      image.onerror = () => reject(new Error("the figure could not be drawn as an image"));
      image.src = url;
    });
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const context = canvas.getContext("2d");
    if (!context) throw new Error("no 2-D canvas to draw the figure on");
    context.scale(scale, scale);
    context.drawImage(image, 0, 0, width, height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("the canvas gave no PNG"))), "image/png"),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Rows as CSV (header from `columns`; objects and arrays as JSON text; quotes doubled). */
export function rowsCsv(rows: Record<string, unknown>[], columns: string[]): string {
  const field = (value: unknown): string => {
    if (value === null || value === undefined) return "";
    const text = typeof value === "object" ? JSON.stringify(value) : String(value);
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [columns.join(","), ...rows.map((row) => columns.map((c) => field(row[c])).join(","))].join("\n") + "\n";
}

/** Links to the API's CSV and JSON downloads of a list. */
export function ApiDownloads(props: { url: string; what: string }) {
  return (
    <p className="downloads small">
      Download {props.what}:{" "}
      <a href={downloadUrl(props.url, "csv")} download aria-label={`${props.what} as CSV`}>
        CSV
      </a>{" "}
      ·{" "}
      <a href={downloadUrl(props.url, "json")} download aria-label={`${props.what} as JSON`}>
        JSON
      </a>
    </p>
  );
}

/** CSV and JSON downloads of rows the page holds (for tables the API has no list of). */
export function RowDownloads(props: { rows: Record<string, unknown>[]; columns: string[]; name: string; what: string }) {
  const { rows, columns, name } = props;
  return (
    <p className="downloads small">
      Download {props.what}:{" "}
      <button type="button" className="link" aria-label={`${props.what} as CSV`} onClick={() => saveBlob(new Blob([rowsCsv(rows, columns)], { type: "text/csv" }), `${name}.csv`)}>
        CSV
      </button>{" "}
      ·{" "}
      <button
        type="button"
        className="link"
        aria-label={`${props.what} as JSON`}
        onClick={() => saveBlob(new Blob([JSON.stringify(rows, null, 1)], { type: "application/json" }), `${name}.json`)}
      >
        JSON
      </button>
    </p>
  );
}

/** SVG and PNG downloads of a figure drawn on the page; `pngUrl` uses a server-drawn PNG instead of the canvas. */
export function FigureDownloads(props: { svg: RefObject<SVGSVGElement | null>; name: string; what: string; pngUrl?: string }) {
  const { svg, name } = props;
  const saveSvg = () => {
    if (svg.current) saveBlob(new Blob([svgMarkup(svg.current)], { type: "image/svg+xml" }), `${name}.svg`);
  };
  const savePng = () => {
    if (svg.current) void svgPng(svg.current).then((blob) => saveBlob(blob, `${name}.png`));
  };
  return (
    <p className="downloads small">
      Download {props.what}:{" "}
      <button type="button" className="link" aria-label={`${props.what} as SVG`} onClick={saveSvg}>
        SVG
      </button>{" "}
      ·{" "}
      {props.pngUrl ? (
        <a href={props.pngUrl} download={`${name}.png`} aria-label={`${props.what} as PNG`}>
          PNG
        </a>
      ) : (
        <button type="button" className="link" aria-label={`${props.what} as PNG`} onClick={savePng}>
          PNG
        </button>
      )}
    </p>
  );
}
