"""Per-sentence gaze priors of a submitted session: one prior per report sentence with a time span.

Fixations are weighted by their overlap with the sentence's span (extended back by
``GAZE_SENTENCE_LEAD_MS``: readers look before they type or speak), through
:func:`gaze_capture.sentence_priors`, for each view separately (each view has its own sigma of one degree
in image pixels and its own displayed region), and the views' priors are mixed by their overlap mass.
"""

from __future__ import annotations

import numpy as np
from django.conf import settings
from django.db import transaction

import gaze_capture as gc
from readingroom.core.files import media_write
from readingroom.core.heatmap import npy_bytes
from readingroom.gaze.models import SentencePrior
from readingroom.gaze.prior_scale import prior_shape
from readingroom.reading.models import ReadingSession, ReportVersion
from readingroom.studies.models import Image


def _overlap_ms(onset: np.ndarray, offset: np.ndarray, t0: float, t1: float) -> float:
    return float(np.clip(np.minimum(offset, t1) - np.maximum(onset, t0), 0.0, None).sum())


def sentence_priors_store(
    *,
    session: ReadingSession,
    image: Image,
    x_img: np.ndarray,
    y_img: np.ndarray,
    onset_ms: np.ndarray,
    offset_ms: np.ndarray,
    view_index: np.ndarray,
    views: list[gc.View],
    sigma_px_of_view: list[float],
    downsample: int = 1,
) -> int:
    """Store the priors of every sentence of the session's reads (not of later amendments); returns the
    number of sentences with a prior. Fixations are those on ``image``, on the session clock; priors are
    stored reduced by ``downsample`` (see :mod:`readingroom.gaze.prior_scale`)."""
    versions = ReportVersion.objects.filter(
        report__session=session, kind__in=[ReportVersion.Kind.FIRST_READ, ReportVersion.Kind.SECOND_READ]
    ).order_by("number")
    lead = float(settings.GAZE_SENTENCE_LEAD_MS)
    shape = (image.rows, image.columns)
    stored_shape = prior_shape(shape, downsample)
    rows, with_prior = [], 0
    for version in versions:
        spans = [(float(s["start_ms"]), float(s["end_ms"])) for s in version.sentences]
        if not spans:
            continue
        mixed = [np.zeros(stored_shape, dtype=np.float64) for _ in spans]
        mass = np.zeros(len(spans))
        for index in np.unique(view_index):
            member = view_index == index
            view = views[int(index)]
            parts = gc.sentence_priors(
                x_img[member], y_img[member], onset_ms[member], offset_ms[member], spans,
                image_shape=shape, sigma_px=sigma_px_of_view[int(index)], region=view.image_region, lead_ms=lead,
                downsample=downsample,
            )  # fmt: skip
            for k, part in enumerate(parts):
                if part is not None:
                    weight = _overlap_ms(onset_ms[member], offset_ms[member], spans[k][0] - lead, spans[k][1])
                    mixed[k] += weight * part
                    mass[k] += weight
        for k, sentence in enumerate(version.sentences):
            name = ""
            if mass[k] > 0:
                prior = (mixed[k] / mixed[k].sum()).astype(np.float32)
                name = f"gaze/session-{session.pk}/sentence-v{version.number}-{k}.npy"
                media_write(name, npy_bytes(prior))
                with_prior += 1
            rows.append(SentencePrior(
                session=session, version=version.number, index=k, text=sentence["text"], source=sentence["source"],
                start_ms=sentence["start_ms"], end_ms=sentence["end_ms"], image=image, prior_file=name,
                prior_downsample=downsample,
            ))  # fmt: skip
    with transaction.atomic():
        SentencePrior.objects.filter(session=session).delete()
        SentencePrior.objects.bulk_create(rows)
    return with_prior
