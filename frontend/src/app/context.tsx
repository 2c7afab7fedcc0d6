/** The app's services for components: the typed HTTP client and the URL options. */
import { createContext, useContext } from "react";
import type { ApiClient } from "../api/client";
import type { Http } from "../api/http";
import type { TrackerKind } from "../gaze/trackers";

export interface AppOptions {
  useCPU: boolean;
  trackerKind: TrackerKind;
  rateHz: number;
  /** How long each calibration target is shown (ms; `?dwell=`). */
  dwellMs?: number;
}

export interface AppServices {
  http: Http;
  /** DICOMweb (WADO-RS) client for the image loader. */
  api: ApiClient;
  options: AppOptions;
}

export const ServicesContext = createContext<AppServices | null>(null);

export function useServices(): AppServices {
  const services = useContext(ServicesContext);
  if (!services) throw new Error("useServices() outside <ServicesContext.Provider>");
  return services;
}

/** Options from the URL: `?gpu=1` renders with WebGL (CPU is the default), `?sim=mouse`, `?rate=Hz`, `?dwell=ms`. */
export function optionsFromQuery(search: string): AppOptions {
  const params = new URLSearchParams(search);
  return {
    useCPU: params.get("cpu") === "1" || params.get("gpu") !== "1",
    trackerKind: params.get("sim") === "mouse" ? "mouse" : "simulated",
    rateHz: Number(params.get("rate")) > 0 ? Number(params.get("rate")) : 250,
    dwellMs: Number(params.get("dwell")) >= 400 ? Number(params.get("dwell")) : 1000,
  };
}
