"""Finding details that could identify a survivor in a story's text (issue 17, part 2: the core).

Pure functions, no ORM: the consent record keeps the caseworker's *never-publish terms* (real
name, family names, home village, employer, school...) only as keyed digests of their
normalised forms, and the re-identification check (``reidentification_check.py``) asks
:func:`find_terms` and :func:`find_patterns` for findings.

Digests: BLAKE2b of the compared form keyed by the consent's own salt (equal terms of two
consents differ), then HMAC-SHA256 of that with ``SECRET_KEY`` (``keyed_digest.py``). The salt
sits in the database beside the digests, so on its own it would let someone holding a copy hash
common names until one matches; the second, keyed step needs a key that is not in the database.
It wraps the salted digest rather than replacing it because terms stored before migration 0023
exist only as salted digests: the migration wrapped them, and lookups compute the same two steps.

Normalising: Unicode NFKC, case-folded, zero-width characters dropped, and then spacing and
joining punctuation removed altogether ("Ban Nong  Bua", "ban-nong-bua" and "BanNongBua" are one
term), so the comparison is tolerant of spacing.

Matching works on character windows, not words: Thai, Khmer, Burmese and Lao are written
without spaces between words, so for every distinct term length the text is cut into every
window of that many characters and each window's digest is looked up. In scripts written with
spaces a window must also start and end at a word boundary, so "Lan" never matches "Lantern".
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from ..keyed_digest import DigestKey, accepted_keys

#: Characters that break words in writing but carry no letters: ignored when comparing.
_IGNORED = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff\-‐‑‒–—_.'’·]+")

#: Scripts written without spaces between words: Thai, Lao, Myanmar (Burmese), Khmer.
_SPACELESS_RANGES = ((0x0E00, 0x0E7F), (0x0E80, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF))


def new_salt() -> str:
    """A random salt for one consent record's terms."""
    return secrets.token_hex(16)


def normalise(text: str) -> str:
    """NFKC, case-folded, and NFKC again (case folding can denormalise)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def compact(text: str) -> str:
    """The form terms are compared in: normalised, without spacing or joining punctuation."""
    return _IGNORED.sub("", normalise(text))


#: Keys term digests apart from every other keyed digest made with ``SECRET_KEY``.
DIGEST_PURPOSE = "wagtail_sixdegrees.never_publish_term"


def term_digest(term: str, salt: str) -> str:
    """The keyed digest stored for one never-publish term (never the term itself)."""
    return _digest(compact(term), salt, DigestKey(DIGEST_PURPOSE))


def _salted_digest(compacted: str, salt: str) -> str:
    return hashlib.blake2b(compacted.encode(), key=salt.encode()[:64], digest_size=32).hexdigest()


def _digest(compacted: str, salt: str, key: DigestKey) -> str:
    return key.hexdigest(_salted_digest(compacted, salt))


@dataclass(frozen=True)
class StoredTerm:
    """What is kept for a term: its digest and its length in compared characters (windows
    need the length; it says no more about the term than its size)."""

    digest: str
    length: int


def store_terms(terms: Iterable[str], salt: str) -> list[StoredTerm]:
    """Digests and lengths of ``terms``, without duplicates or empty terms."""
    key = DigestKey(DIGEST_PURPOSE)
    stored = {}
    for term in terms:
        compacted = compact(term)
        if compacted:
            stored[compacted] = StoredTerm(_digest(compacted, salt, key), len(compacted))
    return list(stored.values())


@dataclass(frozen=True)
class Finding:
    """A span of the original text that may identify someone. ``kind`` is ``term`` (matches a
    term recorded with the consent: deliberately not which), ``age``, ``date``, ``phone``,
    ``email``, ``id_number`` or ``address``."""

    kind: str
    start: int
    end: int


def _is_spaceless(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _SPACELESS_RANGES)


def _is_word_char(char: str) -> bool:
    return char.isalnum() or unicodedata.category(char) in ("Mn", "Mc")


def _compared_characters(text: str) -> tuple[str, list[int]]:
    """The text in compared form, and for each compared character the index of the original
    character it came from (so findings point at the original text)."""
    characters: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):
        for piece in compact(char) if not _IGNORED.fullmatch(char) else "":
            characters.append(piece)
            origins.append(index)
    return "".join(characters), origins


def find_terms(text: str, terms: Iterable[StoredTerm], salt: str) -> list[Finding]:
    """Where ``text`` contains any of the stored ``terms`` (stored under ``SECRET_KEY`` or a
    key still in ``SECRET_KEY_FALLBACKS``)."""
    by_length: dict[int, set[str]] = {}
    for term in terms:
        by_length.setdefault(term.length, set()).add(term.digest)
    if not by_length or not text:
        return []
    # Compose combining marks first so decomposed Vietnamese or Thai match composed terms.
    text = unicodedata.normalize("NFC", text)
    compared, origins = _compared_characters(text)
    keys = accepted_keys(DIGEST_PURPOSE)
    # Word boundaries before digests: each window costs two digests (salted, then keyed) per
    # accepted key, and in spaced scripts most windows start or end inside a word.
    may_start = [_may_start_at(text, origin) for origin in origins]
    may_end = [_may_end_at(text, origin) for origin in origins]
    findings: list[Finding] = []
    for length, digests in sorted(by_length.items()):
        for start in range(0, len(compared) - length + 1):
            end = start + length - 1
            if not (may_start[start] and may_end[end]):
                continue
            salted = _salted_digest(compared[start : end + 1], salt)
            for key in keys:
                if key.hexdigest(salted) in digests:
                    findings.append(Finding("term", origins[start], origins[end] + 1))
                    break
    return _merge(findings)


def _may_start_at(text: str, first: int) -> bool:
    """In spaced scripts a match must not start inside a word."""
    before = text[first - 1] if first > 0 else " "
    starts_inside = _is_word_char(before) and not _is_spaceless(before)
    return not (starts_inside and not _is_spaceless(text[first]))


def _may_end_at(text: str, last: int) -> bool:
    """In spaced scripts a match must not end inside a word."""
    after = text[last + 1] if last + 1 < len(text) else " "
    ends_inside = _is_word_char(after) and not _is_spaceless(after)
    return not (ends_inside and not _is_spaceless(text[last]))


def _merge(findings: list[Finding]) -> list[Finding]:
    return sorted(set(findings), key=lambda finding: (finding.start, finding.end, finding.kind))


def ascii_digits(text: str) -> str:
    """Thai, Khmer, Lao, Burmese and other decimal digits as 0-9, so one pattern reads them all
    (the length of the text is unchanged)."""
    return "".join(
        str(unicodedata.decimal(char)) if char.isdecimal() and not char.isascii() else char
        for char in text
    )


_MONTHS = (
    r"jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?"
    r"|oct(ober)?|nov(ember)?|dec(ember)?|januari|februari|maret|mei|juni|juli|agustus"
    r"|oktober|desember|enero|pebrero|marso|abril|mayo|hunyo|hulyo|agosto|setyembre"
    r"|oktubre|nobyembre|disyembre|tháng\s?\d{1,2}"
    r"|มกราคม|กุมภาพันธ์|มีนาคม|เมษายน|พฤษภาคม|มิถุนายน|กรกฎาคม|สิงหาคม|กันยายน|ตุลาคม"
    r"|พฤศจิกายน|ธันวาคม"
    # Khmer, and ខែ ("month") with its number.
    r"|មករា|កុម្ភៈ|មីនា|មេសា|ឧសភា|មិថុនា|កក្កដា|សីហា|កញ្ញា|តុលា|វិច្ឆិកា|ធ្នូ|ខែ\s?\d{1,2}"
    # Lao, and ເດືອນ ("month") with its number.
    r"|ມັງກອນ|ກຸມພາ|ມີນາ|ເມສາ|ພຶດສະພາ|ມິຖຸນາ|ກໍລະກົດ|ສິງຫາ|ກັນຍາ|ຕຸລາ|ພະຈິກ|ທັນວາ"
    r"|ເດືອນ\s?\d{1,2}"
)
#: Burmese month names (the Gregorian ones), often followed by လ ("month").
_BURMESE_MONTHS = r"ဇန်နဝါရီ|ဖေဖော်ဝါရီ|မတ်|ဧပြီ|မေ|ဇွန်|ဇူလိုင်|ဩဂုတ်|စက်တင်ဘာ|အောက်တိုဘာ|နိုဝင်ဘာ|ဒီဇင်ဘာ"
_ALL_MONTHS = f"{_MONTHS}|{_BURMESE_MONTHS}"
_ORDINAL = r"(?:st|nd|rd|th)?"
#: "day" before the day's number, "month" before the month's name, "year" before the year:
#: Vietnamese, Thai, Khmer, Lao.
_DAY_WORD = r"(?:(?:ngày|วันที่|ថ្ងៃទី|ວັນທີ)\s?)?"
_MONTH_WORD = r"(?:(?:ខែ|ເດືອນ)\s?)?"
_YEAR_WORD = r"(?:(?:năm|ឆ្នាំ|ປີ)\s?)?"
_DATE = (
    rf"\b\d{{4}}-\d{{1,2}}-\d{{1,2}}\b|\b\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}\b"
    # 12 March 2019, 12th of March 2019, ngày 12 tháng 3 năm 2019, ថ្ងៃទី១២ ខែមីនា ឆ្នាំ២០១៩
    rf"|{_DAY_WORD}\b\d{{1,2}}{_ORDINAL}\s?(?:of\s)?{_MONTH_WORD}(?:{_ALL_MONTHS})လ?\.?,?\s?"
    rf"{_YEAR_WORD}\d{{4}}"
    # March 12, 2019 and March 12th 2019
    rf"|(?<!\w)(?:{_MONTHS})\.?\s\d{{1,2}}{_ORDINAL},?\s\d{{4}}\b"
    # Burmese: ၂၀၁၉ ခုနှစ် မတ်လ ၁၂ ရက်
    rf"|(?<!\d)\d{{4}}\s?(?:ခုနှစ်\s?)?,?\s?(?:{_BURMESE_MONTHS})လ?\s?\d{{1,2}}(?:\s?ရက်)?(?!\d)"
)

#: Currency words and signs of the site's regions (and a few common ones). Words in Latin
#: script must stand alone; signs and words in other scripts may touch the number.
_CURRENCY_WORDS = (
    r"đồng|đ|dong|vnd|rp|rupiah|idr|php|pesos?|piso|baht|thb|riels?|khr|kip|lak|kyats?|mmk"
    r"|usd|us\$|dollars?|eur|euros?|gbp"
)
_CURRENCY_SIGNS = r"₫|\$|€|£|₱|฿|៛|₭|บาท|រៀល|ກີບ|ကျပ်"
#: An amount's number. Never starting with 0, as local phone numbers do, so a currency word
#: that is also a name ("Dong 0901 234 567") does not hide a phone number.
_NUMBER = (
    r"(?<![\d.,+])(?:[1-9]\d{0,2}(?:\.\d{3})+|[1-9]\d{0,2}(?:,\d{3})+"
    r"|[1-9]\d{0,2}(?:[ \u00a0\u202f]\d{3})+|[1-9]\d*)(?:[.,]\d{1,2})?(?!\d)"
)
#: Money, not a phone number or an ID: a number with a currency beside it, or written with
#: dotted thousands (1-3 digits, then groups of exactly three: "30.000.000", "1.500.000").
_AMOUNT = re.compile(
    rf"(?:(?<!\w)(?:{_CURRENCY_WORDS})\.?|{_CURRENCY_SIGNS})\s?{_NUMBER}"
    rf"|{_NUMBER}\s?(?:(?:{_CURRENCY_WORDS})(?!\w)|{_CURRENCY_SIGNS})"
    r"|(?<![\d.,+])[1-9]\d{0,2}(?:\.\d{3})+(?!\.?\d)",
    re.IGNORECASE,
)
#: Amounts are hidden from these patterns (with a character no pattern matches).
_NOT_AMOUNTS = ("phone", "id_number")

PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", re.IGNORECASE),
    "date": re.compile(_DATE, re.IGNORECASE),
    "phone": re.compile(r"(?<![\w])\+?\d[\d\s().-]{7,}\d(?!\w)"),
    "id_number": re.compile(r"(?<!\w)(?:[A-Z]{1,2}\d{6,}|\d{9,})(?!\w)"),
    "age": re.compile(
        r"\b\d{1,2}\s?(?:-?years?[- ]old|yo|y/o|tuổi|tahun|taong gulang)\b"
        r"|\b(?:aged|age|edad|umur|usia)\s\d{1,2}\b|อายุ\s?\d{1,2}|\d{1,2}\s?ขวบ"
        r"|អាយុ\s?\d{1,2}|အသက်\s?\d{1,2}|ອາຍຸ\s?\d{1,2}",
        re.IGNORECASE,
    ),
    "address": re.compile(
        r"\b\d+[A-Za-z]?,?\s(?:[\w.]+\s){0,3}(?:street|st|road|rd|avenue|ave|lane|soi|jalan|jl)\b"
        r"|(?:ซอย|ถนน|หมู่ที่?|บ้านเลขที่)\s?\d+|\b(?:số|đường|jalan|jl\.)\s?\d+"
        r"|\b(?:blk|block|lot)\s?\d+",
        re.IGNORECASE,
    ),
}


def find_patterns(text: str) -> list[Finding]:
    """Ages, exact dates, phone numbers, emails, ID-like numbers and street addresses.

    Positions are in ``text`` itself: digits are read in any script without changing lengths.
    Amounts of money are never phone numbers or IDs: they are masked (same length) first."""
    readable = ascii_digits(text)
    without_amounts = _AMOUNT.sub(lambda amount: "#" * len(amount.group()), readable)
    findings = []
    claimed: list[range] = []
    # Most specific first: a date is not also reported as a phone number.
    for kind in ("email", "date", "age", "address", "id_number", "phone"):
        searched = without_amounts if kind in _NOT_AMOUNTS else readable
        for match in PATTERNS[kind].finditer(searched):
            span = range(match.start(), match.end())
            if any(span.start < other.stop and other.start < span.stop for other in claimed):
                continue
            claimed.append(span)
            findings.append(Finding(kind, match.start(), match.end()))
    return _merge(findings)


def scan(text: str, terms: Iterable[StoredTerm] = (), salt: str = "") -> list[Finding]:
    """Every finding in ``text``: recorded terms and identifying patterns."""
    return _merge([*find_terms(text, list(terms), salt), *find_patterns(text)])
