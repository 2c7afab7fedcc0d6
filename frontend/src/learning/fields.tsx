/** Form fields the loop pages share: the scoring method and strategy, from the names the server registers. */
import { useQuery } from "@tanstack/react-query";
import { type Schemas, unwrap } from "../api/http";
import { useServices } from "../app/context";

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

