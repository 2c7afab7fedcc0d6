"""Reports of a frozen dataset version as DICOM Comprehensive SR documents (highdicom).

One SR per study that has a de-identified DICOM image: a "Diagnostic imaging report" container holding the
indication, history, findings and impression as TEXT items and each mentioned CheXpert observation as a
"Finding" TEXT item (``"<observation>: present|absent|uncertain"``). The study's images are the evidence,
so the SR carries the same de-identified patient and study attributes and lands in the same study.
"""

from __future__ import annotations

from pathlib import Path

import pydicom
from highdicom.sr import (
    CodedConcept,
    ComprehensiveSR,
    ContainerContentItem,
    RelationshipTypeValues,
    TextContentItem,
)

from readingroom.curation.exports.common import media_path, output_folder, version_items
from readingroom.curation.models import DatasetVersion
from readingroom.studies.prepare import remap_uid

_REPORT = CodedConcept("18748-4", "LN", "Diagnostic imaging report")
_SECTIONS = {
    "indication": CodedConcept("121109", "DCM", "Indications for Procedure"),
    "history": CodedConcept("121060", "DCM", "History"),
    "findings": CodedConcept("121070", "DCM", "Findings"),
    "impression": CodedConcept("121073", "DCM", "Impressions"),
}
_FINDING = CodedConcept("121071", "DCM", "Finding")
_TYPE2 = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime",
          "ReferringPhysicianName", "StudyID", "AccessionNumber")  # fmt: skip


def _text(name: CodedConcept, value: str) -> TextContentItem:
    return TextContentItem(name=name, value=value, relationship_type=RelationshipTypeValues.CONTAINS)


def study_sr(*, item: dict, evidence: list[pydicom.Dataset]) -> ComprehensiveSR:
    """The SR document of one study's report (``item``: a version manifest item)."""
    content = [_text(code, item[key][:1024]) for key, code in _SECTIONS.items() if item.get(key)]
    content += [_text(_FINDING, f"{obs}: {state}") for obs, state in item["labels"].items()
                if state != "not_mentioned"]  # fmt: skip
    root = ContainerContentItem(name=_REPORT, template_id="2000")
    root.ContentSequence = content
    study_uid = str(evidence[0].StudyInstanceUID)
    return ComprehensiveSR(
        evidence=evidence, content=root, series_instance_uid=remap_uid(f"sr-series:{study_uid}"), series_number=900,
        sop_instance_uid=remap_uid(f"sr:{study_uid}:{item.get('findings', '')}:{item.get('impression', '')}"),
        instance_number=1, manufacturer="CoGaze reading room", is_complete=True, is_final=True,
        series_description="Report",
    )  # fmt: skip


def version_export_sr(*, version: DatasetVersion, root: Path | str) -> list[Path]:
    """Write ``sr/<study_id>.dcm`` for each study of ``version`` that has DICOM images; returns the files."""
    root = output_folder(root)
    by_study: dict[int, tuple[dict, list[pydicom.Dataset]]] = {}
    for item, image in version_items(version):
        if not image.dicom_file:
            continue
        ds = pydicom.dcmread(media_path(image.dicom_file), stop_before_pixels=True)
        for keyword in _TYPE2:  # the SR copies these from its evidence; de-identified files may lack them
            if keyword not in ds:
                setattr(ds, keyword, None)
        by_study.setdefault(item["study_id"], (item, []))[1].append(ds)
    written = []
    for study_id, (item, evidence) in sorted(by_study.items()):
        path = root / "sr" / f"{study_id}.dcm"
        path.parent.mkdir(exist_ok=True)
        study_sr(item=item, evidence=evidence).save_as(path)
        written.append(path)
    return written
