"""Compare active-learning arms against random on SYNTHETIC phantoms with simulated readers."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from readingroom.learning.report import markdown_table, paired_table, plot_curves, summarise
from readingroom.learning.simulation import (
    SimulationSettings,
    arm_parts,
    heldout_observations,
    phantom_pool,
    simulate_arm,
)

# the defaults are SimulationSettings' (chosen so that the random arm's curve rises; see its docstring)
DEFAULTS = SimulationSettings()


class Command(BaseCommand):
    help = (
        "Simulate active learning (simulated readers answer with the true labels and the simulated reader's "
        "gaze); writes learning_curves.png, learning_curves.md and learning_curves.json to --out."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--strategy", nargs="+", default=["entropy", "random"],
                            help="arms: entropy, margin, mc_disagreement, attention_gaze, coreset, diverse, "
                                 "reader_disagreement, random, or METHOD+STRATEGY")  # fmt: skip
        parser.add_argument("--seeds", type=int, default=3)
        parser.add_argument(
            "--first-seed", type=int, default=0, help="seeds run: first-seed .. first-seed+seeds-1"
        )
        parser.add_argument("--also", type=Path, default=None,
                            help="learning_curves.json of an earlier run with the same settings and other seeds, "
                                 "whose curves join this run's table")  # fmt: skip
        parser.add_argument("--rounds", type=int, default=DEFAULTS.rounds)
        parser.add_argument("--pool", type=int, default=DEFAULTS.pool)
        parser.add_argument("--heldout", type=int, default=DEFAULTS.heldout)
        parser.add_argument("--initial", type=int, default=DEFAULTS.initial)
        parser.add_argument("--per-round", type=int, default=DEFAULTS.per_round)
        parser.add_argument(
            "--steps", type=int, default=DEFAULTS.steps, help="optimizer steps of each retraining"
        )
        parser.add_argument("--cold-start", action="store_true",
                            help="train each round from scratch instead of continuing from the previous round's "
                                 "model (from scratch, the tiny model's curve does not rise with reads)")  # fmt: skip
        parser.add_argument("--config", default=DEFAULTS.config_name, help="cogaze config name")
        parser.add_argument("--out", default="learning-simulation", help="output folder")
        parser.add_argument(
            "--platform",
            action="store_true",
            help="also run the first arm through the platform: phantoms imported as studies, a reading project "
            "with a learning loop, assignments, simulated reports, retraining, evaluation and promotion",
        )

    def handle(self, *args, **opts) -> None:
        try:
            for arm in opts["strategy"]:
                arm_parts(arm)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if opts["seeds"] < 1 or opts["rounds"] < 1 or opts["per_round"] < 1 or opts["steps"] < 1:
            raise CommandError("--seeds, --rounds, --per-round and --steps must be at least 1")
        if opts["initial"] + opts["rounds"] * opts["per_round"] > opts["pool"]:
            raise CommandError("--pool is too small for --initial + --rounds x --per-round reads")
        settings = SimulationSettings(
            config_name=opts["config"], pool=opts["pool"], heldout=opts["heldout"], initial=opts["initial"],
            per_round=opts["per_round"], rounds=opts["rounds"], steps=opts["steps"], warm_start=not opts["cold_start"],
        )  # fmt: skip
        pool, heldout = phantom_pool(settings)
        observations = heldout_observations(heldout)
        self.stdout.write(
            f"held-out macro AUROC over {len(observations['scored'])} observations with both classes; skipped "
            f"(one class only): {', '.join(observations['skipped']) or 'none'}"
        )
        curves: dict[str, list[list[dict]]] = {}
        for arm in opts["strategy"]:
            for seed in range(opts["first_seed"], opts["first_seed"] + opts["seeds"]):
                points = simulate_arm(
                    arm, seed=seed, settings=settings, pool=pool, heldout=heldout,
                    on_round=lambda p, arm=arm, seed=seed: self.stdout.write(
                        f"{arm} seed {seed} round {p.round}: {p.reads} reads, AUROC {p.auroc}, {p.seconds:.1f} s"
                    ),
                )  # fmt: skip
                curves.setdefault(arm, []).append([p.__dict__ for p in points])
        if opts["also"] is not None:
            curves = _joined(opts["also"], settings, curves)
        out = Path(opts["out"])
        out.mkdir(parents=True, exist_ok=True)
        rows = summarise(curves)
        (out / "learning_curves.md").write_text(markdown_table(rows) + "\n" + paired_table(curves))
        (out / "learning_curves.json").write_text(json.dumps({"settings": settings.__dict__, "curves": curves,
                                                              "heldout_observations": observations,
                                                              "summary": rows}, indent=1))  # fmt: skip
        plot_curves(curves, out / "learning_curves.png")
        self.stdout.write(markdown_table(rows))
        self.stdout.write(paired_table(curves))
        if opts["platform"]:
            from readingroom.learning.platform_run import platform_simulation

            for line in platform_simulation(arm=opts["strategy"][0], settings=settings, pool=pool):
                self.stdout.write(line)
        self.stdout.write(f"wrote {out / 'learning_curves.png'} and {out / 'learning_curves.md'}")


def _joined(path: Path, settings: SimulationSettings, curves: dict[str, list[list[dict]]]) -> dict:
    """The earlier run's curves followed by this run's, per arm; refused unless its settings are the same."""
    try:
        earlier = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CommandError(f"--also {path}: {exc}") from exc
    if earlier.get("settings") != json.loads(json.dumps(settings.__dict__)):
        raise CommandError(f"--also {path}: its settings differ from this run's: {earlier.get('settings')}")
    missing = set(curves) - set(earlier.get("curves", {}))
    if missing:
        raise CommandError(f"--also {path} has no curves of {', '.join(sorted(missing))}")
    return {arm: earlier["curves"][arm] + seeds for arm, seeds in curves.items()}
