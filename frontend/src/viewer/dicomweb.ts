/**
 * The parts of DICOMweb (PS3.18) the viewer reads, free of Cornerstone and of the network so that they
 * can be unit-tested: `multipart/related` bodies (WADO-RS frames) and DICOM JSON (WADO-RS metadata).
 */
import type { ImageMeta } from "../api/types";

/** One part of a multipart body: its headers (names lower-cased) and its bytes (a view into the body). */
export interface MultipartPart {
  headers: Record<string, string>;
  body: Uint8Array;
}

/** A DICOM JSON data set (PS3.18 F.2): tag "GGGGEEEE" -> {vr, Value}. */
export type DicomJsonDataset = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

/** What decoding one frame needs (PS3.3 C.7.6.3 Image Pixel, C.11 Modality and VOI LUT). */
export interface PixelFormat {
  rows: number;
  columns: number;
  /** 8 or 16 (bits per stored value in the frame bytes). */
  bitsAllocated: number;
  bitsStored: number;
  /** 0 unsigned, 1 two's complement. */
  pixelRepresentation: 0 | 1;
  photometricInterpretation: string;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** The first window of the data set, in modality units; null when it has none. */
  windowCenter: number | null;
  windowWidth: number | null;
}

const CRLF = [13, 10];

/** The `boundary` parameter of a multipart Content-Type (quotes removed); throws when there is none. */
export function multipartBoundary(contentType: string): string {
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match ? (match[1] ?? match[2]) : undefined;
  if (!boundary) throw new Error(`Content-Type "${contentType}" has no multipart boundary`);
  return boundary;
}

function bytesOf(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const last = haystack.length - needle.length;
  let i = from;
  while (i <= last) {
    i = haystack.indexOf(needle[0], i);
    if (i < 0 || i > last) return -1;
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
    i++;
  }
  return -1;
}

function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/**
 * Split a `multipart/related` body (RFC 2046 5.1) into its parts.
 *
 * `contentType` is the response's Content-Type (it names the boundary). Each part's body is the bytes
 * between the blank line after its headers and the CRLF before the next delimiter. Throws an Error
 * naming the boundary when the body has no delimiter or a part is not terminated.
 */
export function parseMultipartRelated(body: Uint8Array, contentType: string): MultipartPart[] {
  const boundary = multipartBoundary(contentType);
  const delimiter = bytesOf(`--${boundary}`);
  const next = bytesOf(`\r\n--${boundary}`);
  const blank = bytesOf("\r\n\r\n");
  let pos = indexOfBytes(body, delimiter, 0);
  if (pos < 0) throw new Error(`multipart body has no delimiter for boundary ${boundary}`);
  const parts: MultipartPart[] = [];
  for (;;) {
    const afterDelimiter = pos + delimiter.length;
    if (body[afterDelimiter] === 45 && body[afterDelimiter + 1] === 45) break; // "--": close delimiter
    const lineEnd = indexOfBytes(body, Uint8Array.from(CRLF), afterDelimiter);
    if (lineEnd < 0) throw new Error(`multipart part ${parts.length + 1} (boundary ${boundary}) has no header line end`);
    let headerText = "";
    let contentStart: number;
    if (body[lineEnd + 2] === 13 && body[lineEnd + 3] === 10) {
      contentStart = lineEnd + 4; // no headers
    } else {
      const headersEnd = indexOfBytes(body, blank, lineEnd + 2);
      if (headersEnd < 0) throw new Error(`multipart part ${parts.length + 1} (boundary ${boundary}) has unterminated headers`);
      headerText = new TextDecoder().decode(body.subarray(lineEnd + 2, headersEnd));
      contentStart = headersEnd + 4;
    }
    const end = indexOfBytes(body, next, contentStart);
    if (end < 0) throw new Error(`multipart part ${parts.length + 1} (boundary ${boundary}) is not terminated`);
    parts.push({ headers: parseHeaders(headerText), body: body.subarray(contentStart, end) });
    pos = end + 2;
  }
  return parts;
}

function value(dataset: DicomJsonDataset, tag: string): unknown {
  return dataset[tag]?.Value?.[0];
}

function numberAt(dataset: DicomJsonDataset, tag: string, name: string, fallback?: number): number {
  const raw = value(dataset, tag);
  if (raw === undefined || raw === null || raw === "") {
    if (fallback !== undefined) return fallback;
    throw new Error(`DICOM JSON has no ${name} (${tag})`);
  }
  const n = typeof raw === "number" ? raw : Number(raw);
  if (!Number.isFinite(n)) throw new Error(`DICOM JSON ${name} (${tag}) is not a number: ${JSON.stringify(raw)}`);
  return n;
}

/**
 * The pixel format of an instance from its WADO-RS metadata (one DICOM JSON data set).
 *
 * Rows, Columns, BitsAllocated and PhotometricInterpretation are required; BitsStored defaults to
 * BitsAllocated, PixelRepresentation to 0, the rescale to slope 1 / intercept 0, and the window (first
 * value of WindowCenter/WindowWidth) to null. Throws an Error naming the missing or bad attribute, or
 * an unsupported BitsAllocated / PixelRepresentation / SamplesPerPixel.
 */
export function pixelFormatFromDicomJson(dataset: DicomJsonDataset): PixelFormat {
  const bitsAllocated = numberAt(dataset, "00280100", "BitsAllocated");
  if (bitsAllocated !== 8 && bitsAllocated !== 16) {
    throw new Error(`BitsAllocated (00280100) ${bitsAllocated} is not supported (8 or 16)`);
  }
  const pixelRepresentation = numberAt(dataset, "00280103", "PixelRepresentation", 0);
  if (pixelRepresentation !== 0 && pixelRepresentation !== 1) {
    throw new Error(`PixelRepresentation (00280103) ${pixelRepresentation} is not 0 or 1`);
  }
  const samples = numberAt(dataset, "00280002", "SamplesPerPixel", 1);
  if (samples !== 1) throw new Error(`SamplesPerPixel (00280002) ${samples} is not supported (grayscale only)`);
  const photometric = value(dataset, "00280004");
  if (typeof photometric !== "string" || !photometric) {
    throw new Error("DICOM JSON has no PhotometricInterpretation (00280004)");
  }
  const hasWindow = value(dataset, "00281050") != null && value(dataset, "00281051") != null;
  return {
    rows: numberAt(dataset, "00280010", "Rows"),
    columns: numberAt(dataset, "00280011", "Columns"),
    bitsAllocated,
    bitsStored: numberAt(dataset, "00280101", "BitsStored", bitsAllocated),
    pixelRepresentation: pixelRepresentation as 0 | 1,
    photometricInterpretation: photometric.trim().toUpperCase(),
    rescaleSlope: numberAt(dataset, "00281053", "RescaleSlope", 1),
    rescaleIntercept: numberAt(dataset, "00281052", "RescaleIntercept", 0),
    windowCenter: hasWindow ? numberAt(dataset, "00281050", "WindowCenter") : null,
    windowWidth: hasWindow ? numberAt(dataset, "00281051", "WindowWidth") : null,
  };
}

/**
 * The pixel format of an API image: its WADO-RS metadata, with the window the server derived on ingest
 * (`meta.window_center`/`window_width`) where the data set has none (a VOI LUT sequence, or no VOI).
 */
export function pixelFormatForImage(dataset: DicomJsonDataset, meta: ImageMeta): PixelFormat {
  const format = pixelFormatFromDicomJson(dataset);
  if (format.windowCenter == null || format.windowWidth == null) {
    format.windowCenter = meta.window_center;
    format.windowWidth = meta.window_width;
  }
  return format;
}
