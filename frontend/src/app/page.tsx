/** Page scaffolding: every page has one h1 and sets the document title; the h1 takes focus on arrival. */
import { type ReactNode, useEffect, useRef } from "react";

export const APP_NAME = "CoGaze reading room";

export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · ${APP_NAME}`;
  }, [title]);
}

/** A page: `<main>` with its h1. The h1 is focused when the page mounts, so focus never falls to the body. */
export function Page(props: { title: string; className?: string; children?: ReactNode; heading?: ReactNode }) {
  usePageTitle(props.title);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (!document.activeElement || document.activeElement === document.body) heading.current?.focus();
  }, []);
  return (
    <main className={props.className ?? "page"}>
      <h1 ref={heading} tabIndex={-1}>
        {props.heading ?? props.title}
      </h1>
      {props.children}
    </main>
  );
}

export function ErrorLine(props: { error: unknown; prefix: string }) {
  if (!props.error) return null;
  const message = props.error instanceof Error ? props.error.message : String(props.error);
  return (
    <p className="error" role="alert">
      {props.prefix}: {message}
    </p>
  );
}
