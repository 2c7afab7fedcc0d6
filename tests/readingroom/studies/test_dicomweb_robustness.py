"""Awkward input to every DICOMweb parser gets a 200, a 400, a 404 or a 406, never a server error.

Seeded random values (so repeatable) built from the characters that broke parsers before: NUL and other
control characters, non-ASCII digits, separators (``,`` ``\\`` ``-`` ``;`` ``=``), wildcards and quotes.
"""

from __future__ import annotations

import random

import pytest

pytestmark = pytest.mark.django_db

_ALPHABET = ["\x00", "\n", "\u00b2", "\u0661", "\uff11", ",", "\\", "-", ";", "=", '"', "*", "?", ".", " ",
             "0", "1", "2", "9", "a", "Z", "%", "/", "\u00e9"]  # fmt: skip
_KEYS = ["StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "PatientID", "PatientName", "StudyDate",
         "StudyTime", "AcquisitionDateTime", "ModalitiesInStudy", "Modality", "SeriesNumber", "Rows",
         "00100020", "limit", "offset", "includefield", "fuzzymatching", "accept", "PixelData",
         "ReferencedStudySequence", "Unknown"]  # fmt: skip
_ACCEPT_PARTS = ["multipart/related", 'type="image/jls"', "type=image/jp2", "transfer-syntax=*",
                 "transfer-syntax=1.2.840.10008.1.2.4.50", "q=0.5", "q=abc", "*/*", "image/*", '"', ",", ";"]  # fmt: skip


def _text(rng: random.Random, longest: int = 12) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, longest)))


def _accept(rng: random.Random) -> str:
    return "".join(rng.choice(_ACCEPT_PARTS) + rng.choice(["", "; ", ", "]) for _ in range(rng.randint(1, 5)))


def test_random_searches_are_answered_or_refused(archive):
    rng = random.Random(14)
    for path in ("studies", "series", "instances") * 60:
        params = {rng.choice(_KEYS): _text(rng) for _ in range(rng.randint(1, 3))}
        response = archive.api.get(f"/api/dicomweb/{path}", params, HTTP_ACCEPT=_accept(rng))
        assert response.status_code in (200, 400, 406), (params, response.status_code)


def test_random_frame_lists_accept_headers_and_uids_are_answered_or_refused(archive):
    rng = random.Random(8)
    url = archive.api.get(f"/api/images/{archive.single.pk}/").json()["wado_rs_url"]
    study = archive.single.study.study_uid
    for _ in range(120):
        frames = _text(rng).replace("/", "") or "1"
        response = archive.api.get(f"{url}/frames/{frames}", HTTP_ACCEPT=_accept(rng))
        assert response.status_code in (200, 400, 404, 406), (frames, response.status_code)
        uid = _text(rng).replace("/", "") or "1"
        for target in (
            f"/api/dicomweb/studies/{uid}/metadata",
            f"/api/dicomweb/studies/{study}/series/{uid}",
        ):
            response = archive.api.get(target, HTTP_ACCEPT=_accept(rng))
            assert response.status_code in (400, 404, 406), (target, response.status_code)
        response = archive.api.get(f"{url}/rendered", HTTP_ACCEPT=_accept(rng))
        assert response.status_code in (200, 406), response.status_code
