/**
 * The network half of opening an image, free of Cornerstone: the image's API metadata, its WADO-RS
 * metadata and its first frame. A page starts these as soon as it knows the image id, while the
 * Cornerstone chunk is still loading; the image loader then takes the answers instead of asking again.
 * A frame is handed out once (then Cornerstone's own cache holds the decoded image).
 */
import type { ApiClient } from "../api/client";
import type { ImageMeta } from "../api/types";
import type { DicomJsonDataset } from "./dicomweb";

export interface ImageInfo {
  meta: ImageMeta;
  datasets: DicomJsonDataset[];
}

type Frame = { contentType: string; body: Uint8Array };

const infos = new Map<number, Promise<ImageInfo>>();
const frames = new Map<string, Promise<Frame>>();

/** GET /api/images/<id>/ and the WADO-RS metadata (memoised; a failure is not kept). */
export function imageInfo(api: ApiClient, imageId: number): Promise<ImageInfo> {
  let info = infos.get(imageId);
  if (!info) {
    info = (async () => {
      const meta = await api.image(imageId);
      return { meta, datasets: await api.wadoMetadata(meta.wado_rs_url) };
    })();
    infos.set(imageId, info);
    info.catch(() => infos.delete(imageId));
  }
  return info;
}

/** Start fetching an image's metadata and first frame (for {@link takeFirstFrame}). */
export function startImageFetch(api: ApiClient, imageId: number): void {
  void imageInfo(api, imageId)
    .then(({ meta }) => {
      if (frames.has(meta.wado_rs_url)) return;
      const frame = api.wadoFrames(meta.wado_rs_url, [1]);
      frames.set(meta.wado_rs_url, frame);
      frame.catch(() => frames.delete(meta.wado_rs_url));
    })
    .catch(() => undefined);
}

/** The first frame of an instance: the one fetched ahead (handed out once), or a new request. */
export function takeFirstFrame(api: ApiClient, wadoRsUrl: string): Promise<Frame> {
  const ahead = frames.get(wadoRsUrl);
  if (ahead) {
    frames.delete(wadoRsUrl);
    return ahead;
  }
  return api.wadoFrames(wadoRsUrl, [1]);
}
