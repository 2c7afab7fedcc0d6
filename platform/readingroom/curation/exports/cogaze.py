"""The CoGaze export of a frozen dataset version (the layout of ``cogaze/data/EXPORT_FORMAT.md``, v1).

``images/<image_id>.png`` is the 8-bit display rendering (windowed, MONOCHROME1 inverted); each study
entry has the report's findings (the impression where there are no findings), its labels as 1/0/-1 (not
mentioned omitted), its clinical context, and one sentence entry per findings sentence. The platform's gaze
prior covers the whole report, so where the image has one, the first "sentence" entry is the whole findings
text with that prior as its heatmap (``gaze/<image_id>/0.npy``), followed by no other entries.
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
from readingroom.curation.labeler import NUMERIC
from readingroom.curation.models import DatasetVersion

FORMAT_NAME, FORMAT_VERSION = "cogaze-export", 1


def version_export_cogaze(*, version: DatasetVersion, root: Path | str) -> Path:
    """Write the CoGaze export of ``version`` into the empty folder ``root``; returns ``manifest.json``."""
    root = output_folder(root)
    studies = []
    for item, image in version_items(version):
        image_id = f"I{image.pk}"
        rel = f"images/{image_id}.png"
        copy_display(image, root / rel)
        findings = (item.get("findings") or item.get("impression") or "").strip()
        prior = item_prior(item, image)
        if prior is not None:
            heat = f"gaze/{image_id}/0.npy"
            (root / heat).parent.mkdir(parents=True, exist_ok=True)
            np.save(root / heat, prior[1].astype(np.float32))
            entries = [{"text": findings, "heatmap": heat}]
        else:
            entries = [{"text": s, "heatmap": None} for s in sentences(findings)]
        context = {k: item[k] for k in ("indication", "history") if item.get(k)}
        studies.append({
            "study_id": f"S{item['study_id']}", "image_id": image_id, "image": rel,
            "view_position": item["view_position"] or "UNKNOWN", "split": item["split"],
            "context": context or None, "findings": findings,
            "labels": {obs: NUMERIC[state] for obs, state in item["labels"].items() if NUMERIC[state] != -2},
            "sentences": entries,
        })  # fmt: skip
    manifest = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "name": version.dataset.name,
        "dataset_version": version.tag,
        "created": version.frozen_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "synthetic": False,
        "source_manifest_sha256": version.manifest_sha256,
        "studies": studies,
    }
    path = root / "manifest.json"
    path.write_text(json.dumps(manifest, indent=1))
    return path
