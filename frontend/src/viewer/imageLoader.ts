/**
 * The `readingroom:` Cornerstone image loader: image id `readingroom:<image id>`. The image's DICOMweb
 * coordinates come from GET /api/images/<id>/ (`wado_rs_url`); its pixel format, rescale and window
 * from WADO-RS `{wado_rs_url}/metadata` (DICOM JSON), its pixels from WADO-RS `{wado_rs_url}/frames/1`
 * (multipart/related, uncompressed little-endian). A data set without a window (a VOI LUT sequence, or
 * none) takes the window the server derived on ingest (`window_center`/`window_width` of the image).
 *
 * World coordinates are image pixels (spacing 1 along both axes, identity orientation, centre of
 * pixel (0, 0) at the origin), so that the displayed aspect is the pixel grid's and the image-pixel
 * mapping is exact; the physical pixel spacing stays in the API metadata.
 */
import { Enums, imageLoader, metaData, utilities } from "@cornerstonejs/core";
import type { Types } from "@cornerstonejs/core";
import type { ApiClient } from "../api/client";
import type { ImageMeta } from "../api/types";
import { parseMultipartRelated, pixelFormatForImage, type PixelFormat } from "./dicomweb";
import { imageInfo, takeFirstFrame } from "./fetches";
import { decodeFrame } from "./pixels";
import type { ImagePlane } from "./geometry";

export const SCHEME = "readingroom";

interface Prepared {
  meta: ImageMeta;
  format: PixelFormat;
}

const prepared = new Map<string, Prepared>();
let client: ApiClient | null = null;
let registered = false;

/** Cornerstone image id for an API image id. */
export function cornerstoneImageId(imageId: number): string {
  return `${SCHEME}:${imageId}`;
}

/** The image plane the loader gives every image (see the module docstring). */
export const PIXEL_PLANE: ImagePlane = {
  origin: [0, 0, 0],
  rowCosines: [1, 0, 0],
  columnCosines: [0, 1, 0],
  spacingX: 1,
  spacingY: 1,
};

function metadataProvider(type: string, ...queries: string[]): unknown {
  const imageId = queries[0];
  if (typeof imageId !== "string" || !imageId.startsWith(`${SCHEME}:`)) return undefined;
  const entry = prepared.get(imageId);
  if (!entry) return undefined;
  const { meta, format } = entry;
  switch (type) {
    case Enums.MetadataModules.IMAGE_PLANE:
      return {
        frameOfReferenceUID: `${SCHEME}.${meta.id}`,
        rows: format.rows,
        columns: format.columns,
        imageOrientationPatient: [1, 0, 0, 0, 1, 0],
        rowCosines: [...PIXEL_PLANE.rowCosines],
        columnCosines: [...PIXEL_PLANE.columnCosines],
        imagePositionPatient: [...PIXEL_PLANE.origin],
        pixelSpacing: [1, 1],
        rowPixelSpacing: 1,
        columnPixelSpacing: 1,
        sliceThickness: 1,
        sliceLocation: 0,
      };
    case Enums.MetadataModules.IMAGE_PIXEL:
      return {
        samplesPerPixel: 1,
        photometricInterpretation: format.photometricInterpretation,
        rows: format.rows,
        columns: format.columns,
        // The loader hands Cornerstone modality values in a Uint16Array or Float32Array (see decodeFrame).
        bitsAllocated: 16,
        bitsStored: format.bitsStored,
        highBit: format.bitsStored - 1,
        pixelRepresentation: 0,
      };
    case Enums.MetadataModules.GENERAL_SERIES:
      return { modality: "CR", seriesInstanceUID: `${SCHEME}.series.${meta.id}`, seriesNumber: 1 };
    case Enums.MetadataModules.GENERAL_IMAGE:
      return { instanceNumber: 1 };
    case Enums.MetadataModules.MODALITY_LUT:
      // decodeFrame applies the rescale, so Cornerstone sees modality values with identity rescale.
      return { rescaleSlope: 1, rescaleIntercept: 0, rescaleType: "" };
    case Enums.MetadataModules.VOI_LUT:
      return format.windowWidth && format.windowCenter != null
        ? { windowCenter: [format.windowCenter], windowWidth: [format.windowWidth] }
        : undefined;
    default:
      return undefined;
  }
}

function loadImage(imageId: string): Types.IImageLoadObject {
  const promise = (async (): Promise<Types.IImage> => {
    const entry = prepared.get(imageId);
    if (!entry || !client) throw new Error(`${imageId}: call prepareImage() before loading`);
    const { meta, format } = entry;
    const started = performance.now();
    const frames = await takeFirstFrame(client, meta.wado_rs_url);
    const parts = parseMultipartRelated(frames.body, frames.contentType);
    if (parts.length !== 1) throw new Error(`image ${meta.id}: WADO-RS frames/1 sent ${parts.length} parts, expected 1`);
    const decoded = decodeFrame(parts[0].body, format, `image ${meta.id}`);
    const voxelManager = utilities.VoxelManager.createImageVoxelManager({
      width: format.columns,
      height: format.rows,
      scalarData: decoded.data,
      numberOfComponents: 1,
      id: imageId,
    });
    const image: Types.IImage = {
      imageId,
      minPixelValue: decoded.min,
      maxPixelValue: decoded.max,
      slope: 1,
      intercept: 0,
      windowCenter: decoded.windowCenter,
      windowWidth: decoded.windowWidth,
      voiLUTFunction: Enums.VOILUTFunctionType.LINEAR,
      getPixelData: () => decoded.data,
      getCanvas: () => {
        throw new Error("getCanvas is not supported for readingroom images");
      },
      rows: format.rows,
      columns: format.columns,
      height: format.rows,
      width: format.columns,
      color: false,
      rgba: false,
      numberOfComponents: 1,
      columnPixelSpacing: 1,
      rowPixelSpacing: 1,
      invert: decoded.invert,
      photometricInterpretation: format.photometricInterpretation,
      sizeInBytes: decoded.data.byteLength,
      dataType: decoded.data instanceof Uint16Array ? "Uint16Array" : "Float32Array",
      voxelManager: voxelManager as Types.IImage["voxelManager"],
      loadTimeInMS: performance.now() - started,
      FrameOfReferenceUID: `${SCHEME}.${meta.id}`,
    };
    return image;
  })();
  return { promise };
}

/** Register the loader and its metadata provider with Cornerstone (idempotent). */
export function registerReadingRoomLoader(api: ApiClient): void {
  client = api;
  if (registered) return;
  imageLoader.registerImageLoader(SCHEME, loadImage as unknown as Types.ImageLoaderFn);
  metaData.addProvider(metadataProvider, 10000);
  registered = true;
}

/**
 * Fetch an image's metadata (GET /api/images/<id>/, then its WADO-RS metadata; needed before
 * Cornerstone loads it); returns its Cornerstone image id.
 */
export async function prepareImage(api: ApiClient, imageId: number): Promise<{ csImageId: string; meta: ImageMeta }> {
  const { meta, datasets } = await imageInfo(api, imageId);
  if (datasets.length !== 1) throw new Error(`image ${imageId}: WADO-RS metadata has ${datasets.length} data sets, expected 1`);
  const csImageId = cornerstoneImageId(imageId);
  prepared.set(csImageId, { meta, format: pixelFormatForImage(datasets[0], meta) });
  return { csImageId, meta };
}
