/**
 * The `readingroom:` Cornerstone image loader: image id `readingroom:<image id>`, pixels from the
 * API's raw uint16 endpoint, metadata from GET /api/images/<id>/.
 *
 * World coordinates are image pixels (spacing 1 along both axes, identity orientation, centre of
 * pixel (0, 0) at the origin), so that the displayed aspect is the pixel grid's and the image-pixel
 * mapping is exact; the physical pixel spacing stays in the API metadata.
 */
import { Enums, imageLoader, metaData, utilities } from "@cornerstonejs/core";
import type { Types } from "@cornerstonejs/core";
import type { ApiClient } from "../api/client";
import type { ImageMeta } from "../api/types";
import { decodePixels } from "./pixels";
import type { ImagePlane } from "./geometry";

export const SCHEME = "readingroom";

const metas = new Map<string, ImageMeta>();
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
  const meta = metas.get(imageId);
  if (!meta) return undefined;
  switch (type) {
    case Enums.MetadataModules.IMAGE_PLANE:
      return {
        frameOfReferenceUID: `${SCHEME}.${meta.id}`,
        rows: meta.rows,
        columns: meta.columns,
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
        photometricInterpretation: meta.photometric_interpretation,
        rows: meta.rows,
        columns: meta.columns,
        bitsAllocated: 16,
        bitsStored: meta.bits_stored,
        highBit: meta.bits_stored - 1,
        pixelRepresentation: 0,
      };
    case Enums.MetadataModules.GENERAL_SERIES:
      return { modality: "CR", seriesInstanceUID: `${SCHEME}.series.${meta.id}`, seriesNumber: 1 };
    case Enums.MetadataModules.GENERAL_IMAGE:
      return { instanceNumber: 1 };
    case Enums.MetadataModules.MODALITY_LUT:
      // decodePixels applies the rescale, so Cornerstone sees modality values with identity rescale.
      return { rescaleSlope: 1, rescaleIntercept: 0, rescaleType: "" };
    case Enums.MetadataModules.VOI_LUT:
      return meta.window_width && meta.window_center != null
        ? { windowCenter: [meta.window_center], windowWidth: [meta.window_width] }
        : undefined;
    default:
      return undefined;
  }
}

function loadImage(imageId: string): Types.IImageLoadObject {
  const promise = (async (): Promise<Types.IImage> => {
    const meta = metas.get(imageId);
    if (!meta || !client) throw new Error(`${imageId}: call prepareImage() before loading`);
    const started = performance.now();
    const buffer = await client.pixels(meta.pixels_url);
    const decoded = decodePixels(buffer, meta);
    const voxelManager = utilities.VoxelManager.createImageVoxelManager({
      width: meta.columns,
      height: meta.rows,
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
      rows: meta.rows,
      columns: meta.columns,
      height: meta.rows,
      width: meta.columns,
      color: false,
      rgba: false,
      numberOfComponents: 1,
      columnPixelSpacing: 1,
      rowPixelSpacing: 1,
      invert: decoded.invert,
      photometricInterpretation: meta.photometric_interpretation,
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

/** Fetch an image's metadata (needed before Cornerstone loads it); returns its Cornerstone image id. */
export async function prepareImage(api: ApiClient, imageId: number): Promise<{ csImageId: string; meta: ImageMeta }> {
  const meta = await api.image(imageId);
  const csImageId = cornerstoneImageId(imageId);
  metas.set(csImageId, meta);
  return { csImageId, meta };
}
