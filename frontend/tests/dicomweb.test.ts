import { describe, expect, it } from "vitest";
import type { ImageMeta } from "../src/api/types";
import {
  multipartBoundary,
  parseMultipartRelated,
  pixelFormatForImage,
  pixelFormatFromDicomJson,
  type DicomJsonDataset,
} from "../src/viewer/dicomweb";

const enc = (text: string) => new TextEncoder().encode(text);

function concat(...chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A body laid out as the platform's WADO-RS frames view writes it. */
function body(boundary: string, parts: Uint8Array[], partType = "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1") {
  return concat(
    ...parts.flatMap((p) => [enc(`--${boundary}\r\nContent-Type: ${partType}\r\n\r\n`), p, enc("\r\n")]),
    enc(`--${boundary}--\r\n`),
  );
}

describe("multipartBoundary", () => {
  it("reads plain and quoted boundaries", () => {
    expect(multipartBoundary('multipart/related; type="application/octet-stream"; boundary=abc123')).toBe("abc123");
    expect(multipartBoundary('multipart/related; boundary="a b:c"; type="application/dicom"')).toBe("a b:c");
  });

  it("names the content type without one", () => {
    expect(() => multipartBoundary("application/octet-stream")).toThrow(/application\/octet-stream" has no multipart boundary/);
  });
});

describe("parseMultipartRelated", () => {
  const ct = 'multipart/related; type="application/octet-stream"; boundary=b0undary';

  it("returns each part's bytes exactly, including CR, LF and dashes inside the data", () => {
    const frame = Uint8Array.from([0, 13, 10, 45, 45, 98, 48, 255, 13, 10, 13, 10, 7]);
    const second = Uint8Array.from([1, 2, 3, 4]);
    const parts = parseMultipartRelated(body("b0undary", [frame, second]), ct);
    expect(parts).toHaveLength(2);
    expect(Array.from(parts[0].body)).toEqual(Array.from(frame));
    expect(Array.from(parts[1].body)).toEqual(Array.from(second));
    expect(parts[0].headers["content-type"]).toBe("application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1");
  });

  it("skips a preamble and accepts a part without headers and an empty part", () => {
    const raw = concat(enc("preamble\r\n--x\r\n\r\n"), Uint8Array.from([9, 8]), enc("\r\n--x\r\nA: 1\r\n\r\n\r\n--x--"));
    const parts = parseMultipartRelated(raw, "multipart/related; boundary=x");
    expect(parts.map((p) => Array.from(p.body))).toEqual([[9, 8], []]);
    expect(parts[1].headers).toEqual({ a: "1" });
  });

  it("throws on a body without the boundary or with an unterminated part", () => {
    expect(() => parseMultipartRelated(enc("nothing here"), ct)).toThrow(/no delimiter for boundary b0undary/);
    expect(() => parseMultipartRelated(enc("--b0undary\r\n\r\n1234"), ct)).toThrow(/part 1 \(boundary b0undary\) is not terminated/);
  });
});

const dataset = (over: DicomJsonDataset = {}): DicomJsonDataset => ({
  "00280002": { vr: "US", Value: [1] },
  "00280004": { vr: "CS", Value: ["MONOCHROME1"] },
  "00280010": { vr: "US", Value: [64] },
  "00280011": { vr: "US", Value: [48] },
  "00280100": { vr: "US", Value: [16] },
  "00280101": { vr: "US", Value: [12] },
  "00280103": { vr: "US", Value: [0] },
  "00281050": { vr: "DS", Value: [2048, 1000] },
  "00281051": { vr: "DS", Value: [4096, 500] },
  "00281052": { vr: "DS", Value: ["-1024"] },
  "00281053": { vr: "DS", Value: [2.5] },
  ...over,
});

const meta = { window_center: 11, window_width: 22 } as ImageMeta;

describe("pixelFormatFromDicomJson", () => {
  it("maps the image pixel, modality LUT and first VOI window attributes", () => {
    expect(pixelFormatFromDicomJson(dataset())).toEqual({
      rows: 64,
      columns: 48,
      bitsAllocated: 16,
      bitsStored: 12,
      pixelRepresentation: 0,
      photometricInterpretation: "MONOCHROME1",
      rescaleSlope: 2.5,
      rescaleIntercept: -1024,
      windowCenter: 2048,
      windowWidth: 4096,
    });
  });

  it("defaults rescale to identity and the window to none", () => {
    const f = pixelFormatFromDicomJson(dataset({ "00281050": undefined, "00281051": undefined, "00281052": undefined, "00281053": undefined }));
    expect([f.rescaleSlope, f.rescaleIntercept, f.windowCenter, f.windowWidth]).toEqual([1, 0, null, null]);
  });

  it("names a missing or unsupported attribute", () => {
    expect(() => pixelFormatFromDicomJson(dataset({ "00280010": undefined }))).toThrow(/no Rows \(00280010\)/);
    expect(() => pixelFormatFromDicomJson(dataset({ "00280100": { vr: "US", Value: [32] } }))).toThrow(/BitsAllocated \(00280100\) 32/);
    expect(() => pixelFormatFromDicomJson(dataset({ "00280002": { vr: "US", Value: [3] } }))).toThrow(/SamplesPerPixel \(00280002\) 3/);
    expect(() => pixelFormatFromDicomJson(dataset({ "00281053": { vr: "DS", Value: ["x"] } }))).toThrow(/RescaleSlope \(00281053\) is not a number/);
  });
});

describe("pixelFormatForImage", () => {
  it("keeps the data set's window", () => {
    const f = pixelFormatForImage(dataset(), meta);
    expect([f.windowCenter, f.windowWidth]).toEqual([2048, 4096]);
  });

  it("takes the API's window when the data set has none", () => {
    const f = pixelFormatForImage(dataset({ "00281050": undefined, "00281051": undefined }), meta);
    expect([f.windowCenter, f.windowWidth]).toEqual([11, 22]);
  });
});
