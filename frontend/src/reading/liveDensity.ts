/**
 * The live gaze-density grid over the image (off by default: showing readers their own gaze can
 * change how they read). Drawn only while `enabled`; cleared when it turns off (and so after submit,
 * where the heatmap and the attention map take the overlay).
 */
import { useEffect, useRef } from "react";
import type { GazeSample } from "../gaze/types";
import { accumulateDensity, colorizeDensity } from "../heatmap/colormap";
import { clientToImage } from "../viewer/geometry";
import type { ViewerHandle } from "../viewer/handle";

const MAX_POINTS = 60_000;

export function useLiveDensity(viewer: ViewerHandle | null, enabled: boolean) {
  const points = useRef<Array<[number, number, number]>>([]);
  useEffect(() => {
    if (!viewer) return;
    if (!enabled) {
      viewer.overlay.setDensity(null);
      return;
    }
    const draw = () => {
      const meta = viewer.imageMeta();
      if (!meta) return;
      const gridW = 64;
      const gridH = Math.max(1, Math.round((64 * meta.rows) / meta.columns));
      const onImage = points.current.filter((p) => p[0] === meta.id).map((p): [number, number] => [p[1], p[2]]);
      viewer.overlay.setDensity(colorizeDensity(accumulateDensity(onImage, meta.columns, meta.rows, gridW, gridH), 150), gridW, gridH);
    };
    draw();
    const timer = setInterval(draw, 500);
    return () => {
      clearInterval(timer);
      viewer.overlay.setDensity(null);
    };
  }, [viewer, enabled]);
  return {
    add(samples: GazeSample[]) {
      const view = viewer?.view();
      if (!view) return;
      for (const s of samples) if (s.valid) points.current.push([view.image_id, ...clientToImage(view, s.x, s.y)]);
      if (points.current.length > MAX_POINTS) points.current.splice(0, points.current.length - MAX_POINTS);
    },
  };
}
