"""Sentences from time-stamped words (dictation transcripts), for per-sentence gaze priors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .formats.reflacx import Word

__all__ = ["Sentence", "sentence_spans"]


@dataclass(frozen=True)
class Sentence:
    """A sentence's text and the time span of its words, ms."""

    text: str
    start_ms: float
    end_ms: float


def sentence_spans(words: Sequence[Word], terminators: str = ".!?") -> list[Sentence]:
    """Group words into sentences ending at a word whose last character is in ``terminators``.

    Examples
    --------
    >>> ws = [Word("No", 0, 200), Word("effusion.", 250, 800), Word("Heart", 1500, 1700)]
    >>> ws.append(Word("normal", 1750, 2100))
    >>> [(s.text, s.start_ms, s.end_ms) for s in sentence_spans(ws)]
    [('No effusion.', 0, 800), ('Heart normal', 1500, 2100)]
    """
    out: list[Sentence] = []
    cur: list[Word] = []
    for w in words:
        cur.append(w)
        if w.word.rstrip().endswith(tuple(terminators)):
            out.append(Sentence(" ".join(x.word for x in cur), cur[0].start_ms, max(x.end_ms for x in cur)))
            cur = []
    if cur:
        out.append(Sentence(" ".join(x.word for x in cur), cur[0].start_ms, max(x.end_ms for x in cur)))
    return out
