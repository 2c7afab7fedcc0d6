"""Report versions, sentence time spans (typed or dictated), the lock on submitted reports, amendments,
the second read of a second-read arm, and the audit of refused report actions.

Sentence spans are kept on the session clock: server epoch ms. A sender gives its times on its own clock
with its stream id (the stream's ping-estimated offset converts them, as for gaze samples), or directly on
the server clock without a stream.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, transaction

from gaze_capture.formats.reflacx import Word
from gaze_capture.transcripts import sentence_spans
from readingroom.core.exceptions import Conflict, Forbidden, InvalidInput, ReadingRoomError
from readingroom.core.models import User
from readingroom.core.services import audit_record
from readingroom.reading.models import DictationTranscript, ReadingSession, Report, ReportVersion

# Slack for the clock-offset estimate when checking that a span lies within the session, ms.
SPAN_CLOCK_SLACK_MS = 5000.0
MAX_SENTENCES = 500
MAX_TRANSCRIPT_WORDS = 20000


@contextmanager
def audited_refusal(
    *, actor: User | None, action: str, target: str, content: dict[str, Any]
) -> Iterator[None]:
    """Audit a refused action with its reason and what was sent (so nothing a reader typed is lost)."""
    try:
        yield
    except ReadingRoomError as exc:
        audit_record(actor=actor, action=f"{action}.refused", target=target,
                     detail={"reason": str(exc), "status": exc.status_code, "content": content})  # fmt: skip
        raise


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _stream_offset(session: ReadingSession, stream: str) -> float:
    if not stream:
        return 0.0
    known = (session.clock_offsets or {}).get(stream)
    if known is None:
        raise InvalidInput(
            f"sentence_stream {stream!r} has sent no ping on this session's socket, so its clock offset is "
            f"unknown; ping on that stream first, or give the times on the server clock without a stream"
        )
    return float(known["offset_ms"])


def _number(value: Any, where: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise InvalidInput(f"{where} must be a finite number of ms, got {value!r}")
    return float(value)


def report_sentences_clean(
    *,
    session: ReadingSession,
    findings: str,
    impression: str,
    sentences: Sequence[dict[str, Any]],
    stream: str = "",
) -> list[dict[str, Any]]:
    """Validate typed sentence spans and put them on the session clock.

    Each span needs ``text``, ``start_ms`` <= ``end_ms``; starts must not decrease from one sentence to the
    next; every span must lie within the session (from its start to now, within
    :data:`SPAN_CLOCK_SLACK_MS`); each text must appear in the report (findings then impression, case and
    spacing ignored) after the previous sentence's text.
    """
    if len(sentences) > MAX_SENTENCES:
        raise InvalidInput(f"sentences: at most {MAX_SENTENCES} sentences, got {len(sentences)}")
    offset = _stream_offset(session, stream)
    opened = session.started_at.timestamp() * 1000.0 - SPAN_CLOCK_SLACK_MS
    now = time.time() * 1000.0 + SPAN_CLOCK_SLACK_MS
    text = _normalise(f"{findings} {impression}")
    position, previous_start, out = 0, -math.inf, []
    for i, sentence in enumerate(sentences):
        where = f"sentences[{i}]"
        start = _number(sentence.get("start_ms"), f"{where}.start_ms") + offset
        end = _number(sentence.get("end_ms"), f"{where}.end_ms") + offset
        if end < start:
            raise InvalidInput(f"{where} ends before it starts ({end - offset:g} < {start - offset:g} ms)")
        if start < previous_start:
            raise InvalidInput(f"{where} starts before sentences[{i - 1}]: spans must be in report order")
        if start < opened or end > now:
            raise InvalidInput(
                f"{where} ({start:.0f}..{end:.0f} ms on the session clock) is outside the session, which ran "
                f"from {opened + SPAN_CLOCK_SLACK_MS:.0f} ms to now"
            )
        wanted = _normalise(str(sentence.get("text", "")))
        if not wanted:
            raise InvalidInput(f"{where}.text must not be empty")
        found = text.find(wanted, position)
        if found < 0:
            raise InvalidInput(
                f"{where}.text {sentence.get('text')!r} does not appear in the report after the sentence before it"
            )
        position, previous_start = found + len(wanted), start
        out.append(
            {"text": str(sentence["text"]).strip(), "start_ms": start, "end_ms": end, "source": "typing"}
        )
    return out


def dictated_sentences(*, session: ReadingSession, findings: str, impression: str) -> list[dict[str, Any]]:
    """Sentence spans from the session's dictation transcripts, on the session clock.

    Sentences end at ``.``, ``!`` or ``?``; those whose text the reader changed before submitting (no longer
    found in the report, in order) are left out.
    """
    text = _normalise(f"{findings} {impression}")
    found: list[dict[str, Any]] = []
    for transcript in session.transcripts.all():
        offset = float((session.clock_offsets or {}).get(transcript.stream, {}).get("offset_ms", 0.0))
        words = [Word(w, float(s), float(e)) for w, s, e in transcript.words]
        for sentence in sentence_spans(words):
            found.append({"text": sentence.text, "start_ms": sentence.start_ms + offset,
                          "end_ms": sentence.end_ms + offset, "source": "dictation"})  # fmt: skip
    found.sort(key=lambda s: s["start_ms"])
    position, kept = 0, []
    for sentence in found:
        at = text.find(_normalise(sentence["text"]), position)
        if at >= 0:
            position = at + len(_normalise(sentence["text"]))
            kept.append(sentence)
    return kept


def report_sentences(
    *, session: ReadingSession, findings: str, impression: str,
    sentences: Sequence[dict[str, Any]] | None, stream: str = "",
) -> list[dict[str, Any]]:  # fmt: skip
    """The spans to keep with a report: the typed ones if given, else those of the dictation transcripts."""
    if sentences:
        return report_sentences_clean(
            session=session, findings=findings, impression=impression, sentences=sentences, stream=stream
        )
    return dictated_sentences(session=session, findings=findings, impression=impression)


def report_version_record(
    *, report: Report, kind: str, author: User | None, sentences: list[dict[str, Any]], reason: str = ""
) -> ReportVersion:
    """Append the report's current content as a new version (the report's ``version`` moves to it)."""
    number = (report.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = ReportVersion.objects.create(
        report=report, number=number, kind=kind, findings=report.findings, impression=report.impression,
        labels=report.labels, sentences=sentences, author=author, reason=reason,
    )  # fmt: skip
    if report.version != number:
        report.version = number
        report.save(update_fields=["version"])
    return version


def _ensure_first_version(report: Report) -> None:
    """Reports stored before versions existed (or imported) get their content as version 1."""
    if not report.versions.exists():
        report_version_record(
            report=report, kind=ReportVersion.Kind.FIRST_READ, author=report.session.reader, sentences=[]
        )


def submit_refusal_check(*, session: ReadingSession, reader: User) -> None:
    """Refuse a (first) submit on a session that is not open for it, with a message naming why."""
    if session.reader_id != reader.pk:
        raise Forbidden(f"reading session {session.pk} belongs to another reader")
    if session.status == ReadingSession.Status.ABANDONED:
        raise Conflict(
            f"reading session {session.pk} was closed: {session.closed_reason or 'the case was reassigned'}. "
            f"Your report was not stored as a reading; its text is kept in the audit log"
        )
    if session.phase == ReadingSession.Phase.SECOND_READ and session.status == ReadingSession.Status.OPEN:
        raise Conflict(
            f"the first read of session {session.pk} was already submitted; send the second read to "
            f"POST /api/sessions/{session.pk}/second-read/"
        )
    if session.status != ReadingSession.Status.OPEN:
        when = session.submitted_at.isoformat() if session.submitted_at else "earlier"
        raise Conflict(
            f"reading session {session.pk} was already submitted (at {when}); a submitted report is locked: "
            f"amend it with POST /api/sessions/{session.pk}/report/amendments/ giving a reason"
        )


@contextmanager
def submit_once(
    *, session: ReadingSession, reader: User, action: str, content: dict[str, Any], phase: str
) -> Iterator[None]:
    """A transaction for a submit that re-reads the session under a row lock and stores at most one report.

    Two tabs submitting together (or a page holding a stale copy of the session) get the same 409 as a
    second submit, audited with what they sent, instead of a database error.
    """
    with audited_refusal(actor=reader, action=action, target=f"session:{session.pk}", content=content):
        try:
            with transaction.atomic():
                fresh = ReadingSession.objects.select_for_update().get(pk=session.pk)
                if fresh.status != ReadingSession.Status.OPEN or fresh.phase != phase:
                    submit_refusal_check(session=fresh, reader=reader)
                    raise Conflict(f"reading session {session.pk} has moved on ({fresh.phase}); reload it")
                yield
        except IntegrityError as exc:
            raise Conflict(f"reading session {session.pk} was already submitted by another request") from exc


def report_edit_refuse(*, session: ReadingSession, reader: User, content: dict[str, Any]) -> None:
    """Edits of a report in place are always refused: submitted reports are locked (409)."""
    with audited_refusal(actor=reader, action="report.edit", target=f"session:{session.pk}", content=content):
        if not Report.objects.filter(session=session).exists():
            raise Conflict(
                f"reading session {session.pk} has no report yet: submit it with POST /api/sessions/{session.pk}/report/"
            )
        raise Conflict(
            f"the report of session {session.pk} is submitted and locked; amend it with "
            f"POST /api/sessions/{session.pk}/report/amendments/ giving a reason (the original is kept)"
        )


def report_amend(
    *,
    session: ReadingSession,
    author: User,
    findings: str,
    impression: str,
    labels: dict[str, str],
    reason: str,
) -> ReportVersion:
    """Amend a submitted report: a new version with who, when and why; earlier versions are kept."""
    from readingroom.reading.services import labels_clean

    content = {"findings": findings, "impression": impression, "labels": labels, "reason": reason}
    with audited_refusal(
        actor=author, action="report.amend", target=f"session:{session.pk}", content=content
    ):
        if session.reader_id != author.pk:
            raise Forbidden(f"reading session {session.pk} belongs to another reader")
        report = Report.objects.filter(session=session).first()
        if report is None or session.status != ReadingSession.Status.SUBMITTED:
            raise Conflict(f"reading session {session.pk} has no submitted report to amend")
        if not reason.strip():
            raise InvalidInput("reason must say why the report is amended")
        cleaned = labels_clean(labels)
        if not findings.strip() and not impression.strip():
            raise InvalidInput("findings or impression must not be empty")
        with transaction.atomic():
            _ensure_first_version(report)
            report.findings, report.impression, report.labels = findings, impression, cleaned
            report.save(update_fields=["findings", "impression", "labels"])
            version = report_version_record(
                report=report,
                kind=ReportVersion.Kind.AMENDMENT,
                author=author,
                sentences=[],
                reason=reason.strip(),
            )
            audit_record(actor=author, action="report.amend", target=f"session:{session.pk}",
                         detail={"version": version.number, "reason": reason.strip()})  # fmt: skip
    return version


def transcript_store(*, session: ReadingSession, words: Any, stream: str = "") -> DictationTranscript:
    """Keep a dictation transcript (``[{"word", "start_ms", "end_ms"}]`` on the stream's clock)."""
    if session.status != ReadingSession.Status.OPEN:
        raise Conflict(f"reading session {session.pk} is closed; no more transcripts are accepted")
    if not isinstance(words, list) or not words:
        raise InvalidInput("words must be a non-empty list of {word, start_ms, end_ms}")
    if len(words) > MAX_TRANSCRIPT_WORDS:
        raise InvalidInput(f"words: at most {MAX_TRANSCRIPT_WORDS} per transcript, got {len(words)}")
    rows = []
    for i, w in enumerate(words):
        if not isinstance(w, dict) or not str(w.get("word", "")).strip():
            raise InvalidInput(f"words[{i}] must be an object with a non-empty word")
        start = _number(w.get("start_ms"), f"words[{i}].start_ms")
        end = _number(w.get("end_ms"), f"words[{i}].end_ms")
        if end < start:
            raise InvalidInput(f"words[{i}] ends before it starts")
        rows.append([str(w["word"]).strip(), start, end])
    return DictationTranscript.objects.create(session=session, stream=stream, words=rows)


def report_history(*, report: Report) -> list[ReportVersion]:
    return list(report.versions.select_related("author").order_by("number"))
