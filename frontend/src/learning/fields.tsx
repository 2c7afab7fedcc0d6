/** Form fields the loop pages share: the scoring method and strategy, from the names the server registers. */
import { useQuery } from "@tanstack/react-query";
import { type Schemas, unwrap } from "../api/http";
import { useServices } from "../app/context";
import { ErrorLine } from "../app/page";

type Options = Schemas["LearningOptionsOutput"];

export function useLearningOptions(): Options | undefined {
  const { http } = useServices();
  return useQuery({ queryKey: ["learning-options"], queryFn: () => unwrap(http.GET("/api/learning/options/")), staleTime: Infinity }).data;
}

/** The scoring method (empty: random) and strategy selects, from the registered names. */
export function ScoringFields(props: {
  options: Options | undefined;
  scoring: string;
  strategy: string;
  setScoring: (v: string) => void;
  setStrategy: (v: string) => void;
  idPrefix: string;
}) {
  const scoring = props.options?.scoring ?? [];
  const strategies = props.options?.strategies ?? [props.strategy];
  return (
    <>
      <label>
        Scoring method{" "}
        <select value={props.scoring} onChange={(e) => props.setScoring(e.target.value)} data-testid={`${props.idPrefix}-scoring`}>
          <option value="">none (random)</option>
          {[...new Set([...scoring, ...(props.scoring ? [props.scoring] : [])])].map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Strategy{" "}
        <select value={props.strategy} onChange={(e) => props.setStrategy(e.target.value)}>
          {[...new Set([...strategies, props.strategy])].map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </label>
    </>
  );
}


/** The split of a dataset version to use ("" = every split). */
export function SplitSelect(props: { value: string; onChange: (v: string) => void }) {
  return (
    <label>
      Split{" "}
      <select value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        <option value="">all</option>
        <option value="train">train</option>
        <option value="val">val</option>
        <option value="test">test</option>
      </select>
    </label>
  );
}

/** A form's submit button, the local problem that stopped it, and the server's refusal. */
export function FormFooter(props: { label: string; disabled: boolean; problem: string; error: unknown; errorPrefix: string }) {
  return (
    <>
      <div>
        <button type="submit" className="primary" disabled={props.disabled}>
          {props.label}
        </button>
      </div>
      {props.problem ? (
        <p className="error" role="alert">
          {props.problem}
        </p>
      ) : null}
      <ErrorLine error={props.error} prefix={props.errorPrefix} />
    </>
  );
}
