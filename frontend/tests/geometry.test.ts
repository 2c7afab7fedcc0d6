import { describe, expect, it } from "vitest";
import {
  type ImagePlane,
  clientToImage,
  displayScale,
  imageRegion,
  imageToCanvasTransform,
  imageToClient,
  imageToWorld,
  viewsDiffer,
  visibleImageRect,
  voiToWindow,
  windowToVoi,
  worldToImage,
} from "../src/viewer/geometry";

const pixelPlane: ImagePlane = { origin: [0, 0, 0], rowCosines: [1, 0, 0], columnCosines: [0, 1, 0], spacingX: 1, spacingY: 1 };

describe("world <-> image pixels", () => {
  it("puts the centre of pixel (0, 0) at (0.5, 0.5) when the origin is a pixel centre", () => {
    expect(worldToImage(pixelPlane, [0, 0, 0])).toEqual([0.5, 0.5]);
    expect(worldToImage(pixelPlane, [-0.5, -0.5, 0])).toEqual([0, 0]);
    expect(worldToImage(pixelPlane, [9.5, 19.5, 0], "centre")).toEqual([10, 20]);
  });

  it("uses the origin as the image corner on the CPU path", () => {
    expect(worldToImage(pixelPlane, [0, 0, 0], "corner")).toEqual([0, 0]);
    expect(worldToImage(pixelPlane, [10, 20, 0], "corner")).toEqual([10, 20]);
  });

  it("handles spacing, origin and orientation, and inverts exactly", () => {
    const plane: ImagePlane = {
      origin: [-100, 50, 7],
      rowCosines: [0, 1, 0],
      columnCosines: [0, 0, -1],
      spacingX: 0.2,
      spacingY: 0.25,
    };
    const world = imageToWorld(plane, [12.5, 40.25]);
    expect(world[0]).toBeCloseTo(-100);
    expect(world[1]).toBeCloseTo(50 + 12 * 0.2);
    expect(world[2]).toBeCloseTo(7 - 39.75 * 0.25);
    const back = worldToImage(plane, world);
    expect(back[0]).toBeCloseTo(12.5, 10);
    expect(back[1]).toBeCloseTo(40.25, 10);
  });
});

describe("view events", () => {
  // A 1000 x 800 image drawn at scale 0.5 with its top-left corner at canvas (50, 0).
  const canvasToImage = ([x, y]: [number, number]): [number, number] => [(x - 50) / 0.5, y / 0.5];
  const screenRect: [number, number, number, number] = [200, 100, 800, 500];

  it("maps the screen rect's corners to image pixels", () => {
    const region = imageRegion(screenRect, canvasToImage);
    expect(region).toEqual([-100, 0, 1100, 800]);
    expect(displayScale(screenRect, region)).toBeCloseTo(0.5);
  });

  it("lets the server map a sample linearly back to the pixel under it", () => {
    const view = { screen_rect: screenRect, image_region: imageRegion(screenRect, canvasToImage) };
    // canvas (250, 100) is client (450, 200) and image ((250-50)/0.5, 100/0.5) = (400, 200)
    expect(clientToImage(view, 450, 200)).toEqual([400, 200]);
    expect(imageToClient(view, 400, 200)).toEqual([450, 200]);
  });

  it("finds the visible part of the image on screen", () => {
    const view = { screen_rect: screenRect, image_region: imageRegion(screenRect, canvasToImage) };
    expect(visibleImageRect(view, 1000, 800)).toEqual([250, 100, 750, 500]);
    const zoomed = { screen_rect: screenRect, image_region: [200, 100, 500, 400] as [number, number, number, number] };
    expect(visibleImageRect(zoomed, 1000, 800)).toEqual(screenRect);
    const away = { screen_rect: screenRect, image_region: [2000, 0, 3000, 800] as [number, number, number, number] };
    expect(visibleImageRect(away, 1000, 800)).toBeNull();
  });

  it("builds the overlay transform from three image corners", () => {
    const m = imageToCanvasTransform([50, 0], [550, 0], [50, 400], 1000, 800);
    expect(m).toEqual([0.5, 0, 0, 0.5, 50, 0]);
    const apply = ([x, y]: [number, number]) => [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];
    expect(apply([400, 200])).toEqual([250, 100]);
  });

  it("converts between VOI range and window width/level", () => {
    expect(voiToWindow(-160, 240)).toEqual({ width: 400, level: 40 });
    expect(windowToVoi(400, 40)).toEqual({ lower: -160, upper: 240 });
  });

  it("reports a view change only when something moved", () => {
    const a = { image_id: 1, image_region: [0, 0, 10, 10], screen_rect: [0, 0, 5, 5], window_width: 4, window_level: 2, zoom: 0.5 } as const;
    const copy = JSON.parse(JSON.stringify(a));
    expect(viewsDiffer(null, copy)).toBe(true);
    expect(viewsDiffer(copy, JSON.parse(JSON.stringify(a)))).toBe(false);
    expect(viewsDiffer(copy, { ...copy, window_level: 3 })).toBe(true);
    expect(viewsDiffer(copy, { ...copy, image_id: 2 })).toBe(true);
    expect(viewsDiffer(copy, { ...copy, screen_rect: [0, 1, 5, 6] })).toBe(true);
  });
});
