"""Active learning without humans: a labelled pool, simulated readers that answer with the true labels (and
the gaze of ``gaze_capture``'s simulated reader, carried by each phantom), and learning curves per arm.

An arm is a scoring method and a strategy (``entropy`` = entropy + top-k, ``diverse`` = entropy + diverse
batch, ``random`` = the baseline, or ``METHOD+STRATEGY``). Each round: the current model scores the unread
pool, the arm selects ``per_round`` studies, the simulated reader reads them (their labels join the training
set), the model is trained on everything read so far (by default continuing from the previous round's model;
``warm_start=False`` trains from scratch), and its held-out macro AUROC (image head) is the curve's next
point. The macro average covers the observations with both classes in the held-out set; the others are
skipped by ``cogaze.evaluate`` and named by ``heldout_observations``. Only cogaze's public API is used
(``cogaze.train``, ``cogaze.evaluate``, ``cogaze.infer``).

``reader_disagreement`` scores a study by how far the model is from what readers answered on it. The arms
choose among unread studies only, which have no reader answers here, so every candidate scores nan and the
arm selects at random (nan studies are ranked at random): it is wired for completeness, not an informative
arm in this simulation (on the platform it ranks studies read once, for a second reading).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from readingroom.learning.scoring import ScoreRequest, StudyOutput, score
from readingroom.learning.strategies import SelectRequest, select

ARMS: dict[str, tuple[str | None, str]] = {
    "entropy": ("entropy", "top_k"),
    "margin": ("margin", "top_k"),
    "mc_disagreement": ("mc_disagreement", "top_k"),
    "attention_gaze": ("attention_gaze", "top_k"),
    "coreset": ("coreset", "top_k"),
    "reader_disagreement": ("reader_disagreement", "top_k"),
    "diverse": ("entropy", "diverse"),
    "random": (None, "random"),
}


def arm_parts(arm: str) -> tuple[str | None, str]:
    """(scoring method or None, strategy) of an arm name (``ValueError`` naming the known arms)."""
    from readingroom.learning.scoring import SCORING_METHODS
    from readingroom.learning.strategies import STRATEGIES

    if arm in ARMS:
        return ARMS[arm]
    method, plus, strategy = arm.partition("+")
    if plus and method in SCORING_METHODS and strategy in STRATEGIES:
        return method, strategy
    raise ValueError(f"unknown arm {arm!r}: use one of {', '.join(ARMS)} or METHOD+STRATEGY")


@dataclass(frozen=True)
class SimulationSettings:
    """Defaults chosen from the random arm's curve only (seed 0, never from a comparison of arms): a ``tiny``
    model trained from scratch for 20 to 200 steps on 16 to 80 phantoms stays near chance and does not rise
    with reads (head AUROC 0.60 at 16 reads, 0.56 at 80 with 100 steps), while continuing from the previous
    round's model for 100 steps rises from 0.60 at 16 reads to 0.69 at 80; with the same 16 reads every round
    it levels off at 0.63, so the rise is the reads', not only the accumulated steps'. The 200 held-out
    phantoms give positives to every observation the phantoms carry (9 of 14; the other 5 never occur and
    are skipped). Arms read 80 of 160 pool phantoms, half. 4 arms x 3 seeds took 13 minutes on one shared
    core."""

    config_name: str = "tiny"
    pool: int = 160  # unread phantoms the arms choose from (they read at most half)
    heldout: int = 200  # frozen held-out phantoms (another seed)
    initial: int = 16  # read at random before round 1 (round 0)
    per_round: int = 16
    rounds: int = 4
    steps: int = 100  # optimizer steps of each retraining
    warm_start: bool = True  # each round continues from the previous round's model (False: from scratch)
    ensemble: int = 2  # models of the last rounds whose disagreement mc_disagreement measures
    data_seed: int = 0
    heldout_seed: int = 1000


@dataclass
class RoundPoint:
    round: int
    reads: int
    auroc: float | None
    seconds: float  # wall time of the round (score + select + read + retrain + evaluate)
    selected: list[str] = field(default_factory=list)
    scores: list[float | None] = field(default_factory=list)


def gaze_map(sample) -> np.ndarray | None:
    """The simulated reader's gaze over the image: the sum of its per-sentence gaze priors, normalised."""
    if sample.heatmaps is None or not sample.has_gaze:
        return None
    total = sample.heatmaps.sum(axis=0)
    return total / total.sum()


def binary_labels(sample) -> np.ndarray:
    """Reader labels as 1 positive (present or uncertain), 0 absent, nan not mentioned."""
    from cogaze.labels import LabelState

    labels = sample.labels.astype(np.float64)
    out = np.where((labels == LabelState.PRESENT) | (labels == LabelState.UNCERTAIN), 1.0, 0.0)
    return np.where(labels == LabelState.NOT_MENTIONED, np.nan, out)


def _config(name: str, seed: int):
    from cogaze import CogazeConfig, load_config

    data = load_config(name).to_dict()
    data["train"] = {**data["train"], "seed": seed}
    return CogazeConfig.from_dict(data)


def train_model(config, samples: list, *, steps: int, out_dir: Path, init_from: Path | None = None):
    """Train on ``samples`` from scratch, or from the checkpoint ``init_from`` (its weights; a fresh optimizer
    and schedule); returns (cogaze Predictor, checkpoint path)."""
    from cogaze.data import ListDataset
    from cogaze.infer import Predictor
    from cogaze.train import train

    result = train(
        config, ListDataset(samples), out_dir=out_dir, max_steps=steps, progress=False, init_from=init_from
    )
    return Predictor.from_checkpoint(result.checkpoint, device="cpu"), Path(result.checkpoint)


def heldout_auroc(predictor, heldout) -> float | None:
    from cogaze.evaluate import evaluate

    value = evaluate(predictor.model, heldout, generate=False).macro("head")
    return float(value) if np.isfinite(value) else None


def heldout_observations(heldout) -> dict[str, list[str]]:
    """Observations of the held-out set with both classes (``scored``: the macro AUROC averages these) and
    with one class only (``skipped``: ``cogaze.evaluate`` gives them nan and the macro leaves them out)."""
    from cogaze.labels import OBSERVATIONS, binary_targets

    y = np.asarray(binary_targets(heldout.label_states()))
    both = (y.sum(0) > 0) & (y.sum(0) < len(y))
    return {"scored": [o for o, b in zip(OBSERVATIONS, both, strict=True) if b],
            "skipped": [o for o, b in zip(OBSERVATIONS, both, strict=True) if not b]}  # fmt: skip


def pool_outputs(predictors: list, samples: list, read: frozenset[str] = frozenset()) -> list[StudyOutput]:
    """The current model's (``predictors[-1]``) outputs over the pool, with the ensemble's samples; studies
    whose id is in ``read`` carry the simulated reader's answers (``binary_labels``), the others none."""
    outputs = []
    for s in samples:
        runs = [p.predict(s.image, view_position=s.view_position, context=s.context, generate=False)
                for p in predictors]  # fmt: skip
        current = runs[-1]
        outputs.append(StudyOutput(
            key=s.study_id, probabilities=np.array(list(current.probabilities.values())),
            embedding=current.embedding, attention=current.attention, gaze=gaze_map(s),
            samples=np.array([list(r.probabilities.values()) for r in runs]) if len(runs) > 1 else None,
            reader_labels=binary_labels(s) if s.study_id in read else None,
        ))  # fmt: skip
    return outputs


def simulate_arm(
    arm: str, *, seed: int, settings: SimulationSettings, pool: list, heldout,
    on_round: Callable[[RoundPoint], None] | None = None,
) -> list[RoundPoint]:  # fmt: skip
    """One learning curve: round 0 (random initial reads) then ``settings.rounds`` active-learning rounds."""
    method, strategy = arm_parts(arm)
    rng = np.random.default_rng(seed)
    config = _config(settings.config_name, seed)
    read = [int(i) for i in rng.permutation(len(pool))[: settings.initial]]
    points: list[RoundPoint] = []
    predictors: list = []
    checkpoint: Path | None = None
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(settings.rounds + 1):
            t0 = time.perf_counter()
            selected: list[int] = []
            chosen_scores: list[float | None] = []
            if r > 0:
                done = set(read)
                unread = [i for i in range(len(pool)) if i not in done]
                # candidates are unread, so none carries reader answers (reader_disagreement: all nan)
                read_ids = frozenset(pool[i].study_id for i in read)
                outputs = pool_outputs(predictors[-settings.ensemble :], [pool[i] for i in unread], read_ids)
                labelled = np.stack(
                    [predictors[-1].predict(pool[i].image, generate=False).embedding for i in read]
                )
                scores = (score(method, ScoreRequest(outputs, labelled)).scores if method
                          else np.zeros(len(unread)))  # fmt: skip
                embeddings = np.stack([o.embedding for o in outputs])
                picks = select(
                    strategy, SelectRequest(scores, settings.per_round, seed * 1009 + r, embeddings)
                )
                selected = [unread[i] for i in picks]
                chosen_scores = [None if np.isnan(scores[i]) else float(scores[i]) for i in picks]
                read += selected  # the simulated reader answers with the true labels
            predictor, checkpoint = train_model(
                config, [pool[i] for i in read], steps=settings.steps, out_dir=Path(tmp) / f"r{r}",
                init_from=checkpoint if settings.warm_start else None,
            )  # fmt: skip
            predictors.append(predictor)
            point = RoundPoint(round=r, reads=len(read), auroc=heldout_auroc(predictor, heldout),
                               seconds=time.perf_counter() - t0, selected=[pool[i].study_id for i in selected],
                               scores=chosen_scores)  # fmt: skip
            points.append(point)
            if on_round:
                on_round(point)
    return points


def phantom_pool(settings: SimulationSettings):
    """(pool samples, held-out dataset) of SYNTHETIC phantoms at the config's image size."""
    from cogaze import load_config
    from cogaze.data import open_dataset

    size = load_config(settings.config_name).vision.image_size
    pool = list(open_dataset(f"phantoms:{settings.pool}", size=size, seed=settings.data_seed))
    heldout = open_dataset(f"phantoms:{settings.heldout}", size=size, seed=settings.heldout_seed)
    return pool, heldout
