"""Reader and writer of the platform's CoGaze dataset export (layout in ``EXPORT_FORMAT.md``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cogaze.data.sample import Sample, load_image_file
from cogaze.errors import DataError
from cogaze.labels import OBSERVATIONS, states_from_dict

FORMAT_NAME = "cogaze-export"
FORMAT_VERSION = 2
READ_VERSIONS = (1, 2)  # v2: heatmaps may be stored at a reduced resolution; a report-level entry
_REQUIRED = ("study_id", "image", "view_position", "split", "context", "findings", "labels")


def context_text(context: dict | str | None) -> str:
    """``{"indication", "history"}`` -> ``"[INDICATION] ... [HISTORY] ..."`` ("" when both are empty)."""
    if context is None:
        return ""
    if isinstance(context, str):
        return context
    parts = []
    if (context.get("indication") or "").strip():
        parts.append(f"[INDICATION] {context['indication'].strip()}")
    if (context.get("history") or "").strip():
        parts.append(f"[HISTORY] {context['history'].strip()}")
    return " ".join(parts)


def _inside(root: Path, rel: str, where: str) -> Path:
    path = (root / rel).resolve()
    if root.resolve() not in path.parents:
        raise DataError(f"{where}: path {rel!r} leaves the export folder")
    return path


class ExportDataset:
    """Studies of an export folder, optionally one split; images and heatmaps are read lazily."""

    def __init__(self, root: str | Path, split: str | None = None) -> None:
        self.root = Path(root)
        manifest = self.root / "manifest.json"
        if not manifest.is_file():
            raise DataError(f"manifest.json: not found in export folder {self.root}")
        try:
            data = json.loads(manifest.read_text())
        except json.JSONDecodeError as exc:
            raise DataError(f"manifest.json: invalid JSON: {exc}") from exc
        if data.get("format") != FORMAT_NAME or data.get("version") not in READ_VERSIONS:
            raise DataError(
                f"manifest.json: format/version: expected {FORMAT_NAME!r} v{'/'.join(map(str, READ_VERSIONS))}, "
                f"got {data.get('format')!r} v{data.get('version')!r}"
            )
        self.synthetic = bool(data.get("synthetic", False))
        studies = data.get("studies")
        if not isinstance(studies, list):
            raise DataError("manifest.json: studies: expected a list")
        for i, entry in enumerate(studies):
            missing = [k for k in _REQUIRED if k not in entry]
            if missing:
                sid = entry.get("study_id", f"#{i}")
                raise DataError(f"manifest.json: studies[{i}] ({sid}): missing field(s) {missing}")
        self.entries = [e for e in studies if split is None or e["split"] == split]
        self._labels = (
            np.stack(
                [
                    states_from_dict(e["labels"], where=f"studies[{e['study_id']}].labels")
                    for e in self.entries
                ]
            )
            if self.entries
            else np.zeros((0, len(OBSERVATIONS)), np.int8)
        )

    def __len__(self) -> int:
        return len(self.entries)

    def label_states(self) -> np.ndarray:
        return self._labels

    def __getitem__(self, index: int) -> Sample:
        e = self.entries[index]
        where = f"studies[{e['study_id']}]"
        image = load_image_file(_inside(self.root, e["image"], f"{where}.image"))
        sentences, maps = [], []
        for j, s in enumerate(e.get("sentences") or []):
            if "text" not in s:
                raise DataError(f"{where}.sentences[{j}]: missing field 'text'")
            sentences.append(s["text"])
            h = None
            if s.get("heatmap"):
                h = np.load(_inside(self.root, s["heatmap"], f"{where}.sentences[{j}].heatmap")).astype(
                    np.float32
                )
                if h.ndim != 2:
                    raise DataError(
                        f"heatmaps: {where}.sentences[{j}].heatmap: expected (H, W), got {h.shape}"
                    )
            maps.append(h)
        shapes = {h.shape for h in maps if h is not None}
        if len(shapes) > 1:
            raise DataError(f"heatmaps: {where}: heatmaps of different shapes {sorted(shapes)}")
        shape = shapes.pop() if shapes else image.shape
        maps = [np.zeros(shape, np.float32) if h is None else h for h in maps]
        return Sample(
            study_id=str(e["study_id"]),
            image=image,
            view_position=str(e["view_position"]),
            context=context_text(e["context"]),
            findings=str(e["findings"]),
            labels=self._labels[index],
            sentences=sentences,
            heatmaps=np.stack(maps) if maps else None,
            image_id=str(e.get("image_id") or Path(e["image"]).stem),
            split=str(e["split"]),
            synthetic=self.synthetic,
        )


def write_export(
    samples: Sequence[Sample], root: str | Path, *, name: str = "export", synthetic: bool = False
) -> Path:
    """Write samples as an export folder (PNG 16-bit images, .npy heatmaps); returns the manifest path."""
    from PIL import Image

    root = Path(root)
    (root / "images").mkdir(parents=True, exist_ok=True)
    studies = []
    for i, s in enumerate(samples):
        image_id = s.image_id or f"img{i:06d}"
        rel = f"images/{image_id}.png"
        Image.fromarray(np.round(np.clip(s.image, 0, 1) * 65535).astype(np.uint16)).save(root / rel)
        ctx: dict[str, str] = {}
        if s.context:
            text = s.context.replace("[INDICATION]", "\x00I").replace("[HISTORY]", "\x00H")
            for chunk in text.split("\x00")[1:]:
                ctx["indication" if chunk[0] == "I" else "history"] = chunk[1:].strip()
        sents = []
        for j, text in enumerate(s.sentences):
            hrel = None
            if s.heatmaps is not None and float(s.heatmaps[j].sum()) > 0:
                hrel = f"gaze/{image_id}/{j}.npy"
                (root / hrel).parent.mkdir(parents=True, exist_ok=True)
                np.save(root / hrel, s.heatmaps[j].astype(np.float32))
            sents.append({"text": text, "heatmap": hrel})
        studies.append(
            {
                "study_id": s.study_id,
                "image_id": image_id,
                "image": rel,
                "view_position": s.view_position,
                "split": s.split,
                "context": ctx or None,
                "findings": s.findings,
                "labels": {OBSERVATIONS[k]: int(v) for k, v in enumerate(s.labels) if int(v) != -2},
                "sentences": sents,
            }
        )
    manifest = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "name": name,
        "synthetic": synthetic,
        "studies": studies,
    }
    path = root / "manifest.json"
    path.write_text(json.dumps(manifest, indent=1))
    return path
