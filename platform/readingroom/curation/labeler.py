"""A rule-based labeler of the 14 CheXpert observations in free-text chest X-ray reports.

Written for this project (its own phrase patterns, not the CheXpert labeler's lists). A report is split into
clauses (at ``. ; ! ? :``, new lines and "but/however/although/which"); in each clause every phrase pattern of
an observation is a *mention*. A mention is:

- negative if the nearest cue before it in its clause is a negation cue ("no", "without", "negative for",
  "free of", ...), or a negation cue follows it ("... is absent", "... has resolved"), or the phrase itself
  states normality ("heart size is normal");
- uncertain if the nearest cue before it is an uncertainty cue ("may", "possible", "cannot exclude",
  "versus", ...) or one follows it ("... cannot be excluded", "... is suspected");
- positive otherwise.

Scopes: a negation that opens a list reaches every item of it, past adjectives of uncertainty that
qualify an item ("No focal consolidation, suspicious opacity, pleural effusion, or pneumothorax": all
absent), when the list is coordinated by "or"/"nor" or the adjective sits in the negated phrase itself; a
negated suggestion negates what it would suggest ("no pleural line to suggest pneumothorax"); a cue before
a parenthesis reaches into it, a cue inside a closed parenthesis does not reach past it; "no (interval)
change in", "no increase in" negate a change, not the finding.

Per observation, positive wins over uncertain, uncertain over negative (the CheXpert aggregation). "No
Finding" is positive when no observation other than Support Devices is positive or uncertain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PRESENT, ABSENT, UNCERTAIN, NOT_MENTIONED = "present", "absent", "uncertain", "not_mentioned"
NUMERIC = {PRESENT: 1, ABSENT: 0, UNCERTAIN: -1, NOT_MENTIONED: -2}

# observation -> (patterns of a mention, patterns of a mention that itself says "normal")
_PHRASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Enlarged Cardiomediastinum": (
        (
            r"(widen\w*|enlarg\w*|prominen\w*) (of the )?(cardio)?mediastin\w*",
            r"(cardio)?mediastin\w* (silhouette |contours? )?(is |are |appears? )?(widen\w*|enlarg\w*|prominent)",
        ),
        (
            r"(normal|unremarkable) (cardio)?mediastin\w* (silhouette|contours?)",
            r"(cardio)?mediastin\w* (silhouette |contours? )?(is |are |appears? )?(normal|unremarkable|within normal)",
        ),
    ),
    "Cardiomegaly": (
        (
            r"cardiomegaly",
            r"(heart|cardiac silhouette|cardiac) (size )?(is |appears? )?(mildly |moderately |"
            r"severely )?(enlarged|large|prominent)",
            r"enlarge\w* (heart|cardiac silhouette)",
        ),
        (
            r"(heart|cardiac) size (is )?(normal|within normal limits|upper normal)",
            r"normal (heart|cardiac) (size|silhouette)",
            r"(heart|cardiac silhouette) (is )?not enlarged",
        ),
    ),
    "Lung Opacity": (
        (
            r"opacit(y|ies|ification)",
            r"infiltrat\w*",
            r"air ?space (disease|process)",
            r"densit(y|ies)",
            r"ground[- ]glass",
            r"haz(y|iness)",
            r"interstitial (marking|prominence|thickening)s?",
        ),
        (),
    ),
    "Lung Lesion": (
        (r"nodul(e|es|ar)", r"\bmass(es)?\b", r"\blesions?\b", r"tumou?r", r"neoplas\w*", r"carcinoma"),
        (),
    ),  # fmt: skip
    "Edema": ((r"o?edema", r"(pulmonary|vascular) (congestion|engorgement)", r"chf\b"), ()),
    "Consolidation": ((r"consolidat\w*",), ()),
    "Pneumonia": ((r"pneumoni(a|as|tis)", r"infecti(on|ous process)"), ()),
    "Atelectasis": ((r"atelecta\w*", r"(lobar|lobe|segmental) collapse", r"collapse of the"), ()),
    "Pneumothorax": ((r"pneumothora(x|ces)", r"\bptx\b"), ()),
    "Pleural Effusion": ((r"(?<!pericardial )effusions?", r"pleural fluid", r"hydrothorax"), ()),
    "Pleural Other": (
        (
            r"pleural (thickening|scarring|plaques?|calcification)",
            r"fibrothorax",
            r"blunting of the (costophrenic|cp)",
        ),
        (),
    ),
    "Fracture": ((r"fractur\w*",), ()),
    "Support Devices": (
        (
            r"(endotracheal|tracheostomy|nasogastric|orogastric|feeding|chest|et|ng|og|shunt) (tubes?|tubing)",
            r"catheters?",
            r"(pacemaker|pacer|pacing|a?icd|defibrillator|stimulator|ekg|ecg|cardiac monitor(ing)?|"
            r"monitor(ing)?|telemetry|epicardial|transvenous) (leads?|wires?)",
            r"pacemaker",
            r"\ba?icd\b",
            r"picc",
            r"central (venous )?line",
            r"\bstents?\b",
            r"(sternotomy|surgical) (wires|clips)",
            r"defibrillator",
            r"\b(nerve |cord |brain |phrenic |vagal |vagus )?stimulators?\b",
            r"\b(vp|va|ventriculoperitoneal|ventriculoatrial) shunts?\b",
            r"\b(embolization |endovascular )?coils?\b",
            r"(intra-?aortic )?balloon pump|\biabp\b",
            r"(ventricular )?assist device|\b[lr]vad\b|\becmo\b",
            r"\bcannula(s|e)?\b",
            r"\bport-?a-?cath\b|\bmediport\b|\b(chest|power|infusion|venous) port\b",
            r"\b(pigtail |surgical |mediastinal )?drains?\b",
            r"(prosthetic|mechanical|bioprosthetic) (aortic |mitral |tricuspid |pulmonary )?valves?|"
            r"valve (replacement|prosthesis)",
            r"loop recorder",
            r"swan[- ]ganz",
        ),
        (),
    ),
}

_NEGATION_BEFORE = (r"\bno\b", r"\bnot\b", r"\bwithout\b", r"negative for", r"free of", r"absence of",
                    r"resolution of", r"resolved", r"\bclear of\b", r"\bneither\b", r"\bnor\b",
                    r"rather than", r"removal of",
                    # "no pleural line to suggest ...", "nothing to indicate ...": the negation takes the
                    # suggestion with it, so it ends where the suggestion ends
                    r"\b(no|not|without|nothing)\b(\W+\w+){0,5}?\W+(to suggest|suggest(s|ing|ive)( of)?|"
                    r"to indicate|indicat(es|ing|ive)( of)?)\b")  # fmt: skip
_UNCERTAIN_BEFORE = (r"\bmay\b", r"\bmight\b", r"\bcould\b", r"possib\w*", r"probabl\w*", r"\blikely\b",
                     r"suspic\w*", r"question\w*", r"concern(ing)? for", r"can ?not (be )?(exclude|rule)\w*",
                     r"differential", r"\bversus\b", r"\bvs\b", r"suggest\w*", r"represent\w*", r"reflect\w*",
                     r"consider\w*", r"equivocal", r"borderline", r"worrisome")  # fmt: skip
# uncertainty cues that qualify a noun inside a list rather than the statement ("no ..., suspicious opacity")
_ATTRIBUTIVE = re.compile(
    r"possible|probable|suspicious|questionable|equivocal|borderline|likely|worrisome", re.IGNORECASE
)
_OR_LIST = re.compile(r"\b(or|nor)\b", re.IGNORECASE)
_PARENTHETICAL = re.compile(r"\([^()]*\)")
# "no interval change in X", "no increase in X": the negation is of a change, X itself is present
_PSEUDO_NEGATION = re.compile(
    r"\bno (significant |appreciable |substantial |interval |definite )*"
    r"(change|increase|decrease|progression|worsening|improvement)s?( in| of)?\b",
    re.IGNORECASE,
)
_NEGATION_AFTER = (r"^\W*(is|are|has|have) (now )?(not (seen|present|identified|visible)|absent|resolved|"
                   r"cleared|gone)",)  # fmt: skip
_UNCERTAIN_AFTER = (r"^\W*(can ?not|could not|not) be (excluded|ruled out)", r"^\W*(is|are) (not )?excluded",
                    r"^\W*(is|are) (possible|likely|suspected|questioned)", r"^\W*\?")  # fmt: skip
_CLAUSE = re.compile(r"[.;!?:\n]+|\b(?:but|however|although|though|which)\b", re.IGNORECASE)


def _compile(patterns) -> list[re.Pattern]:
    return [re.compile(p, re.IGNORECASE) for p in patterns]


_MENTION = {obs: (_compile(pos), _compile(neg)) for obs, (pos, neg) in _PHRASES.items()}
_NEG_BEFORE, _UNC_BEFORE = _compile(_NEGATION_BEFORE), _compile(_UNCERTAIN_BEFORE)
_NEG_AFTER, _UNC_AFTER = _compile(_NEGATION_AFTER), _compile(_UNCERTAIN_AFTER)
OBSERVATIONS = ("No Finding", *_PHRASES)


@dataclass(frozen=True)
class Mention:
    """One mention of an observation: its state and its character span in the report."""

    observation: str
    state: str
    start: int
    end: int
    text: str


def _last_cue(text: str, patterns: list[re.Pattern]) -> int:
    """The end offset of the last cue in ``text`` (-1 when none)."""
    return max((m.end() for p in patterns for m in p.finditer(text)), default=-1)


def _cues(text: str, patterns: list[re.Pattern]) -> list[re.Match]:
    return [m for p in patterns for m in p.finditer(text)]


def _in_negated_list(before: str, after: str, neg: int) -> bool:
    """Whether the uncertainty cues between the negation (ending at ``neg``) and the mention only qualify
    items of the list the negation opens: "No focal consolidation, suspicious opacity, pleural effusion, or
    pneumothorax". They must all be adjectives, and either sit in the negated noun phrase itself ("no
    suspicious nodule") or the list must be coordinated by "or"/"nor" ("No pneumothorax, possible small
    effusion" keeps its own uncertain statement)."""
    span = before[neg:]
    cues = _cues(span, _UNC_BEFORE)
    if not all(_ATTRIBUTIVE.fullmatch(m.group(0)) for m in cues):
        return False
    if "," not in span[: max(m.start() for m in cues)]:
        return True
    return bool(_OR_LIST.search(span) or _OR_LIST.search(after))


def _blank(match: re.Match) -> str:
    """Spaces in place of a match, so that offsets in the clause stay as they were."""
    return " " * len(match.group(0))


def _state(clause: str, start: int, end: int) -> str:
    # a parenthetical that closes before the mention is an aside: its cues do not reach past it, while a
    # cue before an open parenthesis reaches into it; "no change in" negates no finding
    before = _PSEUDO_NEGATION.sub(_blank, _PARENTHETICAL.sub(_blank, clause[:start]))
    after = clause[end:]
    if any(p.search(after) for p in _UNC_AFTER):
        return UNCERTAIN
    if any(p.search(after) for p in _NEG_AFTER):
        return ABSENT
    neg, unc = _last_cue(before, _NEG_BEFORE), _last_cue(before, _UNC_BEFORE)
    if neg < 0 and unc < 0:
        return PRESENT
    if unc > neg >= 0 and _in_negated_list(before, after, neg):
        return ABSENT
    return UNCERTAIN if unc > neg else ABSENT


def _clauses(text: str) -> list[tuple[int, str]]:
    spans, start = [], 0
    for sep in _CLAUSE.finditer(text):
        spans.append((start, text[start : sep.start()]))
        start = sep.end()
    spans.append((start, text[start:]))
    return [(s, c) for s, c in spans if c.strip()]


def report_mentions(text: str) -> list[Mention]:
    """All mentions of observations in ``text``, in order, with their states."""
    found: list[Mention] = []
    for offset, clause in _clauses(text):
        taken: list[tuple[int, int]] = []
        for obs, (positive, normal) in _MENTION.items():
            for pattern, is_normal in [(p, True) for p in normal] + [(p, False) for p in positive]:
                for m in pattern.finditer(clause):
                    if any(m.start() < e and s < m.end() for s, e in taken):
                        continue  # a longer phrase of this clause already covers it
                    taken.append((m.start(), m.end()))
                    state = ABSENT if is_normal else _state(clause, m.start(), m.end())
                    found.append(Mention(obs, state, offset + m.start(), offset + m.end(), m.group(0)))
    return sorted(found, key=lambda m: m.start)


def report_label(text: str) -> dict[str, str]:
    """The 14 CheXpert observations of a report: name -> present/absent/uncertain/not_mentioned."""
    rank = {PRESENT: 3, UNCERTAIN: 2, ABSENT: 1, NOT_MENTIONED: 0}
    labels = dict.fromkeys(OBSERVATIONS, NOT_MENTIONED)
    for mention in report_mentions(text):
        if rank[mention.state] > rank[labels[mention.observation]]:
            labels[mention.observation] = mention.state
    findings = [o for o in OBSERVATIONS[1:] if o != "Support Devices"]
    if not any(labels[o] in (PRESENT, UNCERTAIN) for o in findings):
        labels["No Finding"] = PRESENT
    return labels


_SECTION = re.compile(
    r"^\s*(indication|clinical indication|reason for (exam|study)|history|clinical history|comparison|"
    r"technique|findings|impression|conclusion)s?\s*:", re.IGNORECASE | re.MULTILINE)  # fmt: skip
_SECTION_NAMES = {"indication": "indication", "clinical indication": "indication", "reason for exam": "indication",
                  "reason for study": "indication", "history": "history", "clinical history": "history",
                  "findings": "findings", "impression": "impression", "conclusion": "impression"}  # fmt: skip


def report_sections(text: str) -> dict[str, str]:
    """Split a report at its headers into ``indication``, ``history``, ``findings`` and ``impression``.

    Text before the first header, or a report without headers, counts as findings.
    """
    sections = {"indication": "", "history": "", "findings": "", "impression": ""}
    marks = list(_SECTION.finditer(text))
    head = text[: marks[0].start()] if marks else text
    if head.strip():
        sections["findings"] = head.strip()
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        header = mark.group(1).lower()
        name = _SECTION_NAMES.get(header) or _SECTION_NAMES.get(header.removesuffix("s"), "")
        body = text[mark.end() : end].strip()
        if name and body:
            sections[name] = f"{sections[name]} {body}".strip()
    return sections
