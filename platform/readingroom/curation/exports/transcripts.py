"""Timed transcripts of reports: the words of sentences whose time spans were recorded while reading.

REFLACX times every dictated word, punctuation included. The platform records a time span per report
sentence (typed or dictated); each word gets the part of its sentence's span that its characters take, so
a sentence's first word starts and its last word ends exactly at the sentence's recorded bounds (what
per-sentence heatmaps use), while the times of words inside a sentence are interpolated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from gaze_capture.formats import Word
from readingroom.reading.models import ReadingSession

_TOKEN = re.compile(r"[.,;:/]|[^\s.,;:/]+")


def sentence_words(sentences: Iterable[tuple[str, float, float]]) -> list[Word]:
    """The words (and punctuation marks, as REFLACX counts them) of ``(text, start_ms, end_ms)`` sentences.

    >>> [(w.word, w.start_ms, w.end_ms) for w in sentence_words([("No effusion.", 1000.0, 2200.0)])]
    [('No', 1000.0, 1200.0), ('effusion', 1300.0, 2100.0), ('.', 2100.0, 2200.0)]
    """
    words = []
    for text, start, end in sentences:
        if end < start:
            raise ValueError(f"sentence {text!r} ends ({end} ms) before it starts ({start} ms)")
        tokens = list(_TOKEN.finditer(text))
        if not tokens:
            continue
        first, last = tokens[0].start(), tokens[-1].end()
        per_char = (end - start) / max(last - first, 1)
        for m in tokens:
            words.append(
                Word(m.group(), start + (m.start() - first) * per_char, start + (m.end() - first) * per_char)
            )
    return words


def session_sentence_spans(*, session: ReadingSession) -> list[tuple[str, float, float]]:
    """The session's report sentences with their recorded spans (device ms); empty where none were recorded."""
    report = getattr(session, "report", None)
    spans = getattr(report, "sentence_spans", None) or []
    return [(s["text"], float(s["start_ms"]), float(s["end_ms"])) for s in spans]


def session_words(*, session: ReadingSession, t0_ms: float = 0.0) -> list[Word]:
    """The timed words of the session's report, with times relative to ``t0_ms``."""
    spans = [
        (text, start - t0_ms, end - t0_ms) for text, start, end in session_sentence_spans(session=session)
    ]
    return sentence_words(spans)
