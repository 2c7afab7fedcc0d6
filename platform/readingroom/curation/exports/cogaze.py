"""The CoGaze export of a frozen dataset version (the layout of ``cogaze/data/EXPORT_FORMAT.md``, v2).

``images/<image_id>.png`` is the 8-bit display rendering (windowed, MONOCHROME1 inverted); each study
entry has the report's findings (the impression where there are no findings), its labels as 1/0/-1 (not
mentioned omitted), its clinical context, and its sentence entries. Where the image has a gaze session:

- with stored sentence time spans (see :mod:`.sentence_gaze`), one entry per report sentence with the prior
  of the fixations inside its span (``null`` where none fell inside), then the report-level entry
  (``"level": "report"``, the whole findings with the session's prior); ``"gaze": "sentences"``;
- without them, the report-level entry alone, and ``"gaze"`` says why ("report-level only: ...").

Priors are stored at 128 x 128 (the whole image area-pooled, ``gaze_grid`` in the manifest), never at the
image's full resolution.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from readingroom.curation.exports.common import (
    copy_display,
    item_prior,
    output_folder,
    sentences,
    version_items,
)
from readingroom.curation.exports.sentence_gaze import GAZE_GRID, reduce_prior, session_sentence_gaze
from readingroom.curation.labeler import NUMERIC
from readingroom.curation.models import DatasetVersion

FORMAT_NAME, FORMAT_VERSION = "cogaze-export", 2


def _save(root: Path, rel: str, prior: np.ndarray) -> str:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    np.save(root / rel, prior.astype(np.float32))
    return rel


def _sentence_entries(
    root: Path, image, findings: str, prior: tuple[int, np.ndarray] | None
) -> tuple[list[dict], str | None]:
    """The study's sentence entries and its ``gaze`` note (None: no gaze on this image)."""
    if prior is None:
        return [{"text": s, "heatmap": None} for s in sentences(findings)], None
    session_id, full = prior
    image_id = f"I{image.pk}"
    report = {"text": findings, "heatmap": _save(root, f"gaze/{image_id}/report.npy", reduce_prior(full)),
              "level": "report"}  # fmt: skip
    per_sentence = session_sentence_gaze(session_id=session_id, image=image)
    if not per_sentence.sentences:
        return [report], f"report-level only: {per_sentence.missing}"
    entries = [
        {"text": text, "heatmap": None if p is None else _save(root, f"gaze/{image_id}/{k}.npy", p)}
        for k, (text, p) in enumerate(zip(per_sentence.sentences, per_sentence.priors, strict=True))
    ]
    return [*entries, report], "sentences"


def version_export_cogaze(*, version: DatasetVersion, root: Path | str) -> Path:
    """Write the CoGaze export of ``version`` into the empty folder ``root``; returns ``manifest.json``."""
    root = output_folder(root)
    studies = []
    for item, image in version_items(version):
        image_id = f"I{image.pk}"
        rel = f"images/{image_id}.png"
        copy_display(image, root / rel)
        findings = (item.get("findings") or item.get("impression") or "").strip()
        entries, gaze = _sentence_entries(root, image, findings, item_prior(item, image))
        context = {k: item[k] for k in ("indication", "history") if item.get(k)}
        studies.append({
            "study_id": f"S{item['study_id']}", "image_id": image_id, "image": rel,
            "view_position": item["view_position"] or "UNKNOWN", "split": item["split"],
            "context": context or None, "findings": findings,
            "labels": {obs: NUMERIC[state] for obs, state in item["labels"].items() if NUMERIC[state] != -2},
            "sentences": entries, "gaze": gaze,
        })  # fmt: skip
    manifest = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "name": version.dataset.name,
        "dataset_version": version.tag,
        "created": version.frozen_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "synthetic": False,
        "source_manifest_sha256": version.manifest_sha256,
        "gaze_grid": list(GAZE_GRID),
        "studies": studies,
    }
    path = root / "manifest.json"
    path.write_text(json.dumps(manifest, indent=1))
    return path
