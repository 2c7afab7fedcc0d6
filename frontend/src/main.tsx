/**
 * The reading-room single-page app: React with react-router, server state in TanStack Query, the
 * typed client generated from the OpenAPI schema. URL switches survive navigation: `?gpu=1` renders
 * with WebGL (CPU rendering is the default), `?sim=mouse`, `?rate=Hz`.
 */
import "./styles.css";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";
import { createHttp, legacyApi } from "./api/http";
import { App } from "./app/App";
import { ServicesContext, optionsFromQuery } from "./app/context";

// Opening a case by its address: fetch the reading page's code while the app starts. (The viewer's
// large chunk waits until the page has sent its requests: evaluating it would hold them back.)
if (/^\/read\/\d+/.test(window.location.pathname)) void import("./pages/ReadingPage").catch(() => undefined);

const queryClient = new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: true } } });
const services = { http: createHttp(), api: legacyApi, options: optionsFromQuery(window.location.search) };

createRoot(document.getElementById("app") as HTMLElement).render(
  <ServicesContext.Provider value={services}>
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <App />
      </BrowserRouter>
    </QueryClientProvider>
  </ServicesContext.Provider>,
);
