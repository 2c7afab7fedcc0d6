/**
 * The Cornerstone side of {@link ViewerHandle}: the stack viewer, its overlay and the image loader,
 * put together for a page. Loaded on demand through `loadViewer()`.
 */
import { imageLoader } from "@cornerstonejs/core";
import type { ApiClient } from "../api/client";
import type { ViewerHandle } from "./handle";
import { prepareImage, registerReadingRoomLoader } from "./imageLoader";
import { ViewerOverlay } from "./overlay";
import { Viewer, initCornerstone } from "./viewer";

export async function openViewer(element: HTMLDivElement, api: ApiClient, options: { useCPU: boolean }): Promise<ViewerHandle> {
  registerReadingRoomLoader(api);
  const { cpu } = await initCornerstone(options.useCPU);
  const viewer = new Viewer(element);
  const overlay = new ViewerOverlay(viewer);
  return {
    cpu,
    overlay,
    async show(imageId) {
      const { csImageId, meta } = await prepareImage(api, imageId);
      await viewer.show(csImageId, meta);
      viewer.reset();
      return meta;
    },
    setTool: (tool) => viewer.setLeftTool(tool),
    get tool() {
      return viewer.currentLeftTool;
    },
    reset: () => viewer.reset(),
    toggleFullscreen: (container) => viewer.toggleFullscreen(container),
    panBy: (dx, dy) => viewer.panBy(dx, dy),
    zoomBy: (factor) => viewer.zoomBy(factor),
    adjustWindow: (dWidth, dLevel) => viewer.adjustWindow(dWidth, dLevel),
    windowWidth: () => viewer.window?.width ?? null,
    imageMeta: () => viewer.imageMeta,
    view: () => viewer.view,
    visibleImageClientRect: () => viewer.visibleImageClientRect(),
    onViewChange: (listener) => viewer.onViewChange(listener),
    destroy() {
      overlay.destroy();
      viewer.destroy();
    },
  };
}

export async function prefetchImage(api: ApiClient, imageId: number): Promise<void> {
  registerReadingRoomLoader(api);
  await initCornerstone(true);
  const { csImageId } = await prepareImage(api, imageId);
  await imageLoader.loadAndCacheImage(csImageId);
}
