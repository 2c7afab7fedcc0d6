"""Reports of a frozen dataset version as DICOM Comprehensive SR documents, TID 2000 (highdicom).

One SR per study, DICOM- and bitmap-imported alike, laid out as the Basic Diagnostic Imaging Report:

```
CONTAINER (18748-4, LN, "Diagnostic imaging report")                     template 2000
  HAS CONCEPT MOD  CODE  Language of Content Item and Descendants = English (TID 1204)
  HAS OBS CONTEXT  CODE  Observer Type = Person | Device, and the observer's name (TID 1002 / 1004)
  CONTAINS CONTAINER  Indications for Procedure  > TEXT Indications for Procedure
  CONTAINS CONTAINER  History                    > TEXT History
  CONTAINS CONTAINER  Findings                   > TEXT Finding (the findings text; one per labelled observation)
                                                 > IMAGE Best illustration of finding (each image of the study)
  CONTAINS CONTAINER  Impressions                > TEXT Impression
```

The study's images are the evidence, so the SR carries the same de-identified patient and study attributes
and lands in the same study. A bitmap-imported image is referenced as the Secondary Capture instance the
platform serves it as over DICOMweb. The observer is the reader of the
study's latest reader report under a pseudonym (``reader-<user id>``), or the platform (a device observer)
where the report came with the imported data.
"""

from __future__ import annotations

from pathlib import Path

import pydicom
from highdicom.sr import (
    CodedConcept,
    ComprehensiveSR,
    ContainerContentItem,
    DeviceObserverIdentifyingAttributes,
    ImageContentItem,
    LanguageOfContentItemAndDescendants,
    ObserverContext,
    PersonObserverIdentifyingAttributes,
    RelationshipTypeValues,
    TextContentItem,
)
from pydicom.sr.codedict import codes

from readingroom.curation.exports.common import output_folder, version_items
from readingroom.curation.models import DatasetVersion
from readingroom.curation.selectors import latest_reader_report
from readingroom.studies.dicomweb import instance_header
from readingroom.studies.models import Image, Study
from readingroom.studies.prepare import remap_uid

_REPORT = CodedConcept("18748-4", "LN", "Diagnostic imaging report")
_ENGLISH = CodedConcept("en", "RFC5646", "English")
# section container -> the TEXT item inside it
_SECTIONS = {
    "indication": (codes.DCM.IndicationsForProcedure, codes.DCM.IndicationsForProcedure),
    "history": (codes.DCM.History, codes.DCM.History),
    "findings": (codes.DCM.Findings, codes.DCM.Finding),
    "impression": (codes.DCM.Impressions, codes.DCM.Impression),
}
_TYPE2 = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime",
          "ReferringPhysicianName", "StudyID", "AccessionNumber")  # fmt: skip
_CONTAINS = RelationshipTypeValues.CONTAINS


def _text(name, value: str) -> TextContentItem:
    return TextContentItem(name=name, value=value[:1024], relationship_type=_CONTAINS)


def _observer(study: Study) -> ObserverContext:
    report = latest_reader_report(study=study)
    if report is not None:
        person = PersonObserverIdentifyingAttributes(
            name=f"reader-{report.session.reader_id}^"
        )  # one component
        return ObserverContext(observer_type=codes.DCM.Person, observer_identifying_attributes=person)
    device = DeviceObserverIdentifyingAttributes(uid=remap_uid("device:cogaze-reading-room"),
                                                 name="CoGaze reading room")  # fmt: skip
    return ObserverContext(observer_type=codes.DCM.Device, observer_identifying_attributes=device)


def study_sr(*, item: dict, study: Study, evidence: list[pydicom.Dataset]) -> ComprehensiveSR:
    """The SR document of one study's report (``item``: a version manifest item; ``evidence``: its images)."""
    root = ContainerContentItem(name=_REPORT, template_id="2000")
    content = [*LanguageOfContentItemAndDescendants(language=_ENGLISH), *_observer(study)]
    for key, (section, entry) in _SECTIONS.items():
        children = [_text(entry, item[key])] if item.get(key) else []
        if key == "findings":
            children += [_text(entry, f"{obs}: {state}") for obs, state in item["labels"].items()
                         if state != "not_mentioned"]  # fmt: skip
            children += [ImageContentItem(name=codes.DCM.BestIllustrationOfFinding,
                                          referenced_sop_class_uid=ds.SOPClassUID,
                                          referenced_sop_instance_uid=ds.SOPInstanceUID,
                                          relationship_type=_CONTAINS) for ds in evidence]  # fmt: skip
        if children:
            container = ContainerContentItem(name=section, relationship_type=_CONTAINS)
            container.ContentSequence = children
            content.append(container)
    root.ContentSequence = content
    study_uid = str(evidence[0].StudyInstanceUID)
    return ComprehensiveSR(
        evidence=evidence, content=root, series_instance_uid=remap_uid(f"sr-series:{study_uid}"), series_number=900,
        sop_instance_uid=remap_uid(f"sr:{study_uid}:{item.get('findings', '')}:{item.get('impression', '')}"),
        instance_number=1, manufacturer="CoGaze reading room", is_complete=True, is_final=True,
        series_description="Report",
    )  # fmt: skip


def image_evidence(image: Image) -> pydicom.Dataset:
    """The header an SR references for ``image``: its de-identified DICOM, or its Secondary Capture header."""
    ds = instance_header(image)
    for keyword in _TYPE2:  # the SR copies these from its evidence; de-identified files may lack them
        if keyword not in ds:
            setattr(ds, keyword, None)
    return ds


def version_export_sr(*, version: DatasetVersion, root: Path | str) -> list[Path]:
    """Write ``sr/<study_id>.dcm`` for each study of ``version``; returns the files."""
    root = output_folder(root)
    by_study: dict[int, tuple[dict, Study, list[pydicom.Dataset]]] = {}
    for item, image in version_items(version):
        by_study.setdefault(item["study_id"], (item, image.study, []))[2].append(image_evidence(image))
    written = []
    for study_id, (item, study, evidence) in sorted(by_study.items()):
        path = root / "sr" / f"{study_id}.dcm"
        path.parent.mkdir(exist_ok=True)
        study_sr(item=item, study=study, evidence=evidence).save_as(path)
        written.append(path)
    return written
