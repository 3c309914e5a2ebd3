"""Split long texts into utterances at sentence, then clause, then hard boundaries.

Works for Latin scripts (". ! ? …" followed by a space) and for Chinese/Japanese/Korean full-width punctuation
("。！？" need no space). Each piece carries the pause that should follow it when the pieces are joined.
"""

import re
from dataclasses import dataclass

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# Scripts and punctuation written without spaces between units (CJK, full-width marks).
_NO_SPACE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
_PARAGRAPH = re.compile(r"\n\s*\n")
_CLOSERS = "\"'»”’)]」』）】"
# Latin marks end a unit only before whitespace ("3.14", "e.g." stay whole); full-width marks need no space.
_SENTENCE_MARKS = (".!?…", "。！？")
_CLAUSE_MARKS = (",;:—–", "，、；：")

SENTENCE_PAUSE = 0.30  # seconds of silence between sentences
PARAGRAPH_PAUSE = 0.65  # between paragraphs
CLAUSE_PAUSE = 0.15  # where a long sentence had to be cut at a comma or a space


@dataclass(frozen=True)
class Piece:
    """One utterance and the silence (seconds) to put after it."""

    text: str
    pause_after: float


def cost(text: str) -> float:
    """Length in Latin-character equivalents: a CJK character is a syllable, worth about three letters."""
    cjk = len(_CJK.findall(text))
    return (len(text) - cjk) + 3 * cjk


def split_text(text: str, max_cost: int = 300) -> list[Piece]:
    """Pieces of at most `max_cost` (see `cost`), cut at the strongest boundary available."""
    pieces: list[Piece] = []
    paragraphs = [p.strip() for p in _PARAGRAPH.split(text) if p.strip()]
    for paragraph in paragraphs:
        for sentence in _cut(paragraph, _SENTENCE_MARKS):
            for part in _fit(sentence, max_cost):
                pieces.append(Piece(part, CLAUSE_PAUSE))
            pieces[-1] = Piece(pieces[-1].text, SENTENCE_PAUSE)
        pieces[-1] = Piece(pieces[-1].text, PARAGRAPH_PAUSE)
    if pieces:
        pieces[-1] = Piece(pieces[-1].text, 0.0)
    return pieces


def _fit(sentence: str, max_cost: int) -> list[str]:
    """A sentence as is, or cut at clauses, then words, then characters, packing parts up to max_cost."""
    if cost(sentence) <= max_cost:
        return [sentence]
    clauses = _cut(sentence, _CLAUSE_MARKS)
    if len(clauses) > 1:
        return _pack([part for clause in clauses for part in _fit(clause, max_cost)], max_cost)
    words = sentence.split()
    if len(words) > 1:
        return _pack([part for word in words for part in _fit(word, max_cost)], max_cost, joiner=" ")
    # No space to cut at (a long CJK run, or one huge token): cut by characters.
    step = max(1, max_cost // 3 if _CJK.search(sentence) else max_cost)
    return [sentence[i : i + step] for i in range(0, len(sentence), step)]


def _cut(text: str, marks: tuple[str, str]) -> list[str]:
    """Cut after each run of boundary marks (and closing quotes), keeping the marks with their unit."""
    latin, wide = marks
    units: list[str] = []
    start = i = 0
    while i < len(text):
        if text[i] in latin or text[i] in wide:
            j = i + 1
            while j < len(text) and (text[j] in latin or text[j] in wide or text[j] in _CLOSERS):
                j += 1
            k = j
            while k < len(text) and text[k] in " \u00a0\u202f":  # French spacing: « Vraiment ? »
                k += 1
            if k < len(text) and text[k] in _CLOSERS:
                j = k + 1
            if text[j - 1] in wide or text[i] in wide or j == len(text) or text[j].isspace():
                units.append(text[start:j].strip())
                start = j
            i = j
        else:
            i += 1
    units.append(text[start:].strip())
    return [unit for unit in units if unit]


def _pack(parts: list[str], max_cost: int, joiner: str | None = None) -> list[str]:
    """Greedily join consecutive parts while they fit."""
    packed: list[str] = []
    for part in parts:
        if packed:
            glue = joiner if joiner is not None else ("" if _NO_SPACE.match(packed[-1][-1:]) else " ")
            candidate = packed[-1] + glue + part
            if cost(candidate) <= max_cost:
                packed[-1] = candidate
                continue
        packed.append(part)
    return packed
