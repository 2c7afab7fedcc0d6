"""The study's analytics as one zip archive readable without the platform: tidy tables (CSV and Parquet) one
row per read, per fixation, per (read, finding region) and per (read, observation), the result tables, the figures (PNG and SVG) and a
data dictionary (``data_dictionary.md`` and ``data_dictionary.csv``) describing every column and its unit."""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq

from . import figures, tables
from .selectors import StudyData

# table -> [(column, unit, description)]
DICTIONARY: dict[str, list[tuple[str, str, str]]] = {
    "reads": [
        (
            "read_id",
            "",
            "id of the reading session (one submitted read of one case by one reader in one arm)",
        ),
        ("study_id", "", "id of the reader study"),
        ("reader", "", "reader's user name"),
        ("arm", "", "arm name"),
        ("arm_mode", "", "unaided, ai_assisted or second_read"),
        ("arm_position", "", "order of the arm in the study (0 first)"),
        ("case", "", "id of the imaging study read (the case)"),
        ("image_id", "", "id of the image read"),
        ("image_rows", "px", "image height"),
        ("image_columns", "px", "image width"),
        ("started_at", "ISO 8601 UTC", "when the reading session opened"),
        ("submitted_at", "ISO 8601 UTC", "when the report was submitted"),
        ("reading_time_s", "s", "submitted_at minus started_at"),
        ("fixation_count", "count", "fixations of the read"),
        ("scanpath_length_px", "image px", "summed distance between consecutive fixation centres"),
        (
            "lung_coverage",
            "fraction 0-1",
            "share of the approximate lung fields (two ellipses at fixed image "
            "fractions) within 2.8% of the image width of a fixation",
        ),
        (
            "calibration_kind",
            "",
            "the tracker check used: the latest validation, else the latest calibration",
        ),
        ("calibration_accuracy_deg", "deg", "mean angular accuracy of that check"),
        ("data_loss_pct", "%", "share of samples lost during that check"),
        (
            "region_source",
            "",
            "labels (boxes of the dataset's labels) or model_attention (the model's attention "
            "map, top 10% of its pixels) or none",
        ),
        ("finding_region", "", "name of the finding region (attention_top10: the attention-derived region)"),
        (
            "finding_ttff_ms",
            "ms",
            "time from image onset (first view event, else first fixation) to the first "
            "fixation in the finding region; empty if never fixated",
        ),
        ("finding_dwell_ms", "ms", "summed duration of fixations in the finding region"),
        ("finding_fixation_count", "count", "fixations in the finding region"),
        (
            "accuracy",
            "fraction 0-1",
            "share of the read's observations with a known reference whose call "
            "(present vs not) matches the reference",
        ),
    ],
    "fixations": [
        ("read_id", "", "the read (reads.read_id)"),
        ("index", "", "order of the fixation in the read (0 first)"),
        ("onset_ms", "ms, gaze clock", "start of the fixation"),
        ("offset_ms", "ms, gaze clock", "end of the fixation"),
        ("duration_ms", "ms", "offset_ms minus onset_ms"),
        ("x_screen", "screen px", "mean horizontal position on the screen"),
        ("y_screen", "screen px", "mean vertical position on the screen"),
        ("x_image", "image px", "position in the image (empty when off the image)"),
        ("y_image", "image px", "position in the image (empty when off the image)"),
        ("in_finding_region", "bool", "inside a finding region of the read"),
        ("in_lung_fields", "bool", "inside the approximate lung fields"),
    ],
    "regions": [
        ("read_id", "", "the read (reads.read_id)"),
        (
            "region",
            "",
            "finding region: a labelled box's name, or attention_top10 (the model's attention map)",
        ),
        ("region_source", "", "labels or model_attention"),
        ("time_to_first_fixation_ms", "ms", "from image onset to the first fixation inside; empty if never"),
        ("dwell_ms", "ms", "summed duration of the fixations inside"),
        ("fixation_count", "count", "fixations inside"),
    ],
    "observations": [
        ("read_id", "", "the read (reads.read_id)"),
        ("reader", "", "reader's user name"),
        ("arm", "", "arm name"),
        ("case", "", "id of the imaging study read"),
        ("observation", "", "one of the 14 CheXpert observations"),
        ("reader_label", "", "present, absent, uncertain or not_mentioned, as the reader reported it"),
        ("reader_score", "0-1", "ordinal score for ROC analysis: present 1, uncertain 0.5, otherwise 0"),
        ("reader_call", "0/1", "1 when the reader's label is present"),
        ("model_probability", "0-1", "the model's probability (empty without a prediction)"),
        ("model_call", "0/1", "1 when the model's probability is at least 0.5"),
        ("reference_label", "", "curated label of the case in the study's frozen dataset version"),
        (
            "reference",
            "0/1",
            "1 present, 0 absent or not mentioned, empty when uncertain (left out of accuracy)",
        ),
    ],
}
RESULTS = ("kappa", "fleiss", "accuracy", "mrmc", "arm_comparison", "by_reader", "by_arm", "by_case")
RESULT_NOTES = {
    "kappa": "Cohen's kappa of binary calls per arm: reader pairs, reader vs model, reader vs reference",
    "fleiss": "Fleiss' kappa of the readers' four-valued labels per arm and observation",
    "accuracy": "sensitivity, specificity, AUROC per arm and rater, 95% percentile bootstrap CIs over cases",
    "mrmc": "Obuchowski-Rockette (Hillis df) comparison of the arms' mean reader AUROC (difference: arm_b minus "
            "arm_a) per observation and over pooled (case, observation) items",
    "arm_comparison": "paired differences (arm_b minus arm_a) per reader and case, t and bootstrap 95% CIs",
    "by_reader": "mean read measures per reader and arm", "by_arm": "mean read measures per arm",
    "by_case": "mean read measures per case and arm",
}  # fmt: skip


def read_rows(data: StudyData) -> list[dict]:
    cols = [c for c, _, _ in DICTIONARY["reads"]]
    return [{**{c: r.get(c) for c in cols}, "accuracy": tables.read_accuracy(r)} for r in data.reads]


def region_rows(data: StudyData) -> list[dict]:
    return [{"read_id": r["read_id"], "region": name, "region_source": r["region_source"], **m}
            for r in data.reads for name, m in r["regions"].items()]  # fmt: skip


def observation_rows(data: StudyData) -> list[dict]:
    rows = []
    for r in data.reads:
        truth = r["truth"] or {}
        for obs in dict.fromkeys([*truth, *r["labels"]]):
            label = r["labels"].get(obs, "not_mentioned")
            p = (r["model"] or {}).get(obs)
            rows.append({"read_id": r["read_id"], "reader": r["reader"], "arm": r["arm"], "case": r["case"],
                         "observation": obs, "reader_label": label, "reader_score": tables.SCORE.get(label, 0.0),
                         "reader_call": int(label == "present"), "model_probability": p,
                         "model_call": None if p is None else int(p >= tables.MODEL_THRESHOLD),
                         "reference_label": truth.get(obs), "reference": tables.TRUTH.get(truth.get(obs))})  # fmt: skip
    return rows


def results(data: StudyData, *, resamples: int = tables.RESAMPLES) -> dict[str, list[dict]]:
    """Every result table of the study."""
    reads = data.reads
    return {
        "kappa": tables.kappa_table(reads), "fleiss": tables.fleiss_table_rows(reads),
        "accuracy": tables.accuracy_table(reads, resamples=resamples), "mrmc": tables.mrmc_table(reads),
        "arm_comparison": tables.arm_comparison_table(reads, resamples=resamples),
        "by_reader": tables.summary_table(reads, "reader"), "by_arm": tables.summary_table(reads, "arm"),
        "by_case": tables.summary_table(reads, "case"),
    }  # fmt: skip


def _clean(v):
    return None if isinstance(v, float) and not math.isfinite(v) else v


def csv_bytes(rows: list[dict], columns: list[str] | None = None) -> bytes:
    columns = columns or list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: "" if _clean(r.get(k)) is None else _clean(r.get(k)) for k in columns})
    return buf.getvalue().encode("utf-8")


def parquet_bytes(rows: list[dict], columns: list[str]) -> bytes:
    table = pa.Table.from_pylist([{c: _clean(r.get(c)) for c in columns} for r in rows]) if rows else pa.table(
        {c: pa.array([], pa.string()) for c in columns}
    )  # fmt: skip
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def dictionary_markdown() -> str:
    lines = ["# Data dictionary of the reader-study analytics archive", "",
             "Every table is given as CSV (UTF-8, comma-separated, empty cell = missing) and Parquet.", ""]  # fmt: skip
    for name, cols in DICTIONARY.items():
        lines += [f"## {name}.csv / {name}.parquet", "", "| column | unit | description |", "|---|---|---|"]
        lines += [f"| {c} | {u} | {d} |" for c, u, d in cols] + [""]
    lines += ["## results/*.csv", ""]
    lines += [f"- `results/{k}.csv`: {RESULT_NOTES[k]}" for k in RESULTS]
    lines += ["", "Conventions: " + " ".join((tables.__doc__ or "").split("Conventions")[1].split())]
    return "\n".join(lines) + "\n"


def archive(data: StudyData, *, resamples: int = tables.RESAMPLES) -> bytes:
    """The zip archive of the study's analytics."""
    buf = io.BytesIO()
    tidy = {
        "reads": read_rows(data),
        "fixations": data.fixations,
        "regions": region_rows(data),
        "observations": observation_rows(data),
    }
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, rows in tidy.items():
            cols = [c for c, _, _ in DICTIONARY[name]]
            z.writestr(f"{name}.csv", csv_bytes(rows, cols))
            z.writestr(f"{name}.parquet", parquet_bytes(rows, cols))
        for name, rows in results(data, resamples=resamples).items():
            z.writestr(f"results/{name}.csv", csv_bytes(rows))
        for name in figures.FIGURES:
            for fmt in figures.FORMATS:
                z.writestr(f"figures/{name}.{fmt}", figures.render(name, data.reads, data.fixations, fmt))
        z.writestr("data_dictionary.md", dictionary_markdown())
        z.writestr("data_dictionary.csv", csv_bytes(
            [{"table": t, "column": c, "unit": u, "description": d} for t, cols in DICTIONARY.items() for c, u, d in cols]
        ))  # fmt: skip
        z.writestr("study.json", json.dumps({"study_id": data.project.pk, "name": data.project.name,
                                             "dataset_version": str(data.project.dataset_version or ""),
                                             "reads": len(data.reads)}, indent=2))  # fmt: skip
    return buf.getvalue()
