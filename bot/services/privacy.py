"""Refusing text that looks like patient data: the chat is for logistics, never for patients."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date
from typing import Final

from bot.services.dates import MONTHS, strip_invisible


class PatientDataKind(enum.StrEnum):
    """Which kind of patient data a text seems to contain."""

    BSN = "bsn"
    NAME_WITH_BIRTH_DATE = "name_with_birth_date"
    PHONE = "phone"


_BSN_WEIGHTS: Final = (9, 8, 7, 6, 5, 4, 3, 2, -1)
_DIGITS: Final = frozenset("0123456789")
# Nine digits run together, or grouped the ways people copy them from a card or letter: 123.456.782, 1234 56 782.
_BSN_SHAPE = re.compile(
    r"(?<![0-9])(?:[0-9]{9}"
    r"|[0-9]{3}(?P<three>[ .\-])[0-9]{3}(?P=three)[0-9]{3}"
    r"|[0-9]{4}(?P<four>[ .\-])[0-9]{2}(?P=four)[0-9]{3})(?![0-9])"
)

_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
# Only dates with a year can be birth dates; two-digit years are read only after an explicit birth marker.
_FULL_DATE = re.compile(
    r"(?<![0-9])(?:"
    r"(?P<iso_year>[0-9]{4})-(?P<iso_month>[0-9]{1,2})-(?P<iso_day>[0-9]{1,2})"
    r"|(?P<day>[0-9]{1,2})(?P<sep>[-/.])(?P<month>[0-9]{1,2})(?P=sep)(?P<year>[0-9]{4}|[0-9]{2})"
    rf"|(?P<named_day>[0-9]{{1,2}})\s*(?P<named_month>{_MONTH_NAMES})\.?,?\s+(?P<named_year>[0-9]{{4}})"
    r")(?![0-9])",
    re.IGNORECASE,
)
_BIRTH_WORD = re.compile(
    r"(?<![^\W\d_])(?:geboortedatum|geboren|geb\.?\s?dat(?:um)?|geb|d\.?o\.?b|born|date\s+of\s+birth|birth\s?date)"
    r"(?![^\W\d_])",
    re.IGNORECASE,
)
# Genealogy signs stuck to the date; a "*" with a space after it is a bullet, not a birth sign.
_BIRTH_SIGN = re.compile(r"(?:(?:^|[\s(\[])\*|°\s*)$")
_WORD = re.compile(r"[^\W_]+")
# A date right after these is when something happens, not when someone was born.
_EVENT_WORDS: Final = frozenset(
    {"sinds", "vanaf", "per", "tot", "t/m", "tm", "voor", "na", "dd", "d.d", "since", "from", "until", "till"}
    | {"after", "before"}
)
_BIRTH_WORD_REACH: Final = 3
_NAME_REACH: Final = 3
_NAME_PARTS: Final = frozenset("TILPNU")
_MAX_AGE_YEARS: Final = 120

_PATIENT_TITLES: Final = frozenset(
    {"mw", "mevr", "mevrouw", "dhr", "hr", "heer", "meneer", "mr", "mrs", "ms", "miss", "mx", "patient", "patiënt"}
    | {"patiente", "patiënte", "pt", "pat", "client", "cliënt", "cliente", "cliënte"}
)
# Doctors' names are logistics ("spreekuur dr. Jansen"), so a name after these titles does not count.
_STAFF_TITLES: Final = frozenset({"dr", "drs", "dokter", "arts", "huisarts", "prof", "poh", "assistente", "assistent"})
# A capitalised word after these names a place ("Praktijk Vrijthof"), not a person.
_PLACE_WORDS: Final = frozenset(
    {"praktijk", "huisartsenpraktijk", "gezondheidscentrum", "apotheek", "centrum", "ziekenhuis", "huisartsenpost"}
    | {"zorggroep", "locatie", "wijk", "straat", "gebouw", "kamer", "hap", "practice", "pharmacy", "hospital"}
)
# Particles that can open a surname on their own ("van Dijk", "de Vries") and ones that only join name parts.
_LEADING_PARTICLES: Final = frozenset({"de", "van", "von", "ter", "ten", "vd", "v.d"})
_PARTICLES: Final = frozenset({"der", "den", "te", "t", "'t", "la", "le", "du", "del"})
# Capitalised words that open sentences or name things in logistics notes; "jan" stays out because of Jan Jansen.
_NOT_NAMES: Final = (
    (frozenset(MONTHS) - {"jan"})
    | {"maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag", "ma", "di", "wo", "do", "vr"}
    | {"za", "zo", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "mon", "tue", "wed"}
    | {"thu", "fri", "sat", "sun", "wij", "we", "ik", "jij", "u", "graag", "hallo", "hoi", "beste", "dag", "groet"}
    | {"groeten", "dank", "bedankt", "vandaag", "morgen", "overmorgen", "sinds", "vanaf", "per", "tot", "week"}
    | {"spreekuur", "ochtend", "middag", "avond", "dienst", "rooster", "vervanging", "waarneming", "overdracht"}
    | {"sleutel", "balie", "bel", "mail", "telefoon", "tel", "adres", "contact", "afspraak", "afspraken", "team"}
    | {"vragen", "let", "op", "update", "nieuw", "nieuwe", "geen", "wel", "ja", "nee", "ok", "oké", "the", "our"}
    | {"please", "thanks", "hi", "hello", "dear", "doktersassistent", "doktersassistente", "triagist", "verlof"}
    | {"praktijkmanager", "ziek", "vakantie", "today", "tomorrow", "shift", "morning", "afternoon", "evening"}
    | {"note", "factuur", "iban", "kvk", "agb", "bsn", "postcode", "in", "het", "een", "en", "of", "and", "or"}
)
# The kind letter of each listed word (the lists share no word).
_KIND_OF_WORD: Final = {
    word: kind
    for kind, words in (
        ("T", _PATIENT_TITLES),
        ("S", _STAFF_TITLES),
        ("O", _PLACE_WORDS),
        ("L", _LEADING_PARTICLES),
        ("P", _PARTICLES),
    )
    for word in words
}
_BLANK = r"[ \t\u00a0]"
_PHONE_SEPARATOR = rf"(?:{_BLANK}*[-./]{_BLANK}*|{_BLANK}+)"
# Groups of digits joined by one separator each (a space, dash, dot or slash), an optional leading + and an
# optional "(0)" as in "+31 (0)6 ..."; whether it is a phone number is decided in _is_dutch_phone.
_PHONE_CANDIDATE = re.compile(
    rf"(?<![\w.,/+\-])(?:\+{_BLANK}?)?[0-9]+(?:(?:{_PHONE_SEPARATOR}|{_PHONE_SEPARATOR}?\(0\){_PHONE_SEPARATOR}?)[0-9]+)*"
    r"(?![0-9])"
)
_AREA_IN_BRACKETS = re.compile(r"\((0[1-9][0-9]{0,2})\)")
# A date inside a run of digits ("06-12-2026 14") makes it a date followed by something, not a phone number.
_DATE_INSIDE = re.compile(r"(?<![0-9])[0-9]{1,2}[-./][0-9]{1,2}[-./](?:19|20)[0-9]{2}(?![0-9])")
_INTERNATIONAL_PREFIX = re.compile(r"\+\s*31|0031")
_NATIONAL_DIGITS = re.compile(r"0[1-9][0-9]{8}")
_FIRST_GROUP = re.compile(r"06|0[0-9]{2,3}")
# Free numbers and paid information lines are no one's personal number.
_SERVICE_PREFIXES: Final = ("0800", "0900", "0906", "0909")
_EDGE_PUNCTUATION = '()[]{}<>,;:!?"“”‘’«»'
_NAME_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_INITIALS = re.compile(r"(?:[^\W\d_]\.){1,4}")


@dataclass(frozen=True)
class _Token:
    """A whitespace-separated word, its position, its kind letter and whether punctuation ends a phrase after it."""

    start: int
    end: int
    kind: str
    closes: bool


def is_valid_bsn(digits: str) -> bool:
    """Whether nine digits (or eight, missing their leading zero) pass the BSN eleven-check."""
    if len(digits) == 8:
        digits = "0" + digits
    if len(digits) != 9 or not (digits.isascii() and digits.isdigit()) or digits == "0" * 9:
        return False
    return sum(int(digit) * weight for digit, weight in zip(digits, _BSN_WEIGHTS, strict=True)) % 11 == 0


def _continues_number(text: str, start: int, end: int, separator: str) -> bool:
    """Whether a grouped number goes on with the same separator, as in a phone number's "043 123 456 789"."""
    before = start >= 2 and text[start - 1] == separator and text[start - 2] in _DIGITS
    after = end + 1 < len(text) and text[end] == separator and text[end + 1] in _DIGITS
    return before or after


def _contains_bsn(text: str, phones: list[tuple[int, int]]) -> bool:
    """Whether any nine-digit run in the text, outside the phone numbers, passes the eleven-check."""
    for match in _BSN_SHAPE.finditer(text):
        if any(start <= match.start() and match.end() <= end for start, end in phones):
            continue  # "+31 612345678" is a phone number, whatever its last nine digits add up to
        separator = match["three"] or match["four"]
        if separator and _continues_number(text, match.start(), match.end(), separator):
            continue
        if is_valid_bsn(re.sub(r"[^0-9]", "", match[0])):
            return True
    return False


def _is_dutch_phone(raw: str) -> bool:
    """Whether a run of digits is a Dutch phone number: 0 and nine digits (the first group 06 or an area code),
    or +31 / 0031 and nine digits."""
    prefix = _INTERNATIONAL_PREFIX.match(raw)
    if prefix:
        return _is_dutch_subscriber_number(raw[prefix.end() :])
    return not raw.startswith("+") and _is_national_phone(raw)


def _is_dutch_subscriber_number(text: str) -> bool:
    """Whether what follows +31 or 0031 is nine digits, not counting an "(0)" or a leading 0."""
    text = text.replace("(0)", "", 1)
    digits = re.sub(r"[^0-9]", "", text).removeprefix("0")  # "+31 06 ..." is a common slip
    return "(" not in text and len(digits) == 9 and digits[0] != "0"


def _is_national_phone(raw: str) -> bool:
    """Whether a number without a country code is 0 and nine digits, neither a service line nor a date."""
    groups = re.findall(r"[0-9]+", raw)
    digits = "".join(groups)
    return (
        "(" not in raw
        and _NATIONAL_DIGITS.fullmatch(digits) is not None
        and not digits.startswith(_SERVICE_PREFIXES)
        # "06 12345678", "043 123 4567": the first group is the mobile prefix or an area code, never "01" of a date.
        and (len(groups) == 1 or _FIRST_GROUP.fullmatch(groups[0]) is not None)
        and not _DATE_INSIDE.search(raw)
    )


def phone_spans(text: str) -> list[tuple[int, int]]:
    """Where the text holds Dutch phone numbers (start and end offsets)."""
    spans: list[tuple[int, int]] = []
    # "(020) 1234567": the brackets around an area code become blanks, which keeps every offset where it was.
    text = _AREA_IN_BRACKETS.sub(lambda match: f" {match[1]} ", text)
    for match in _PHONE_CANDIDATE.finditer(text):
        after = text[match.end() : match.end() + 1]
        if after and (after.isalnum() or after == "_"):
            continue
        if _is_dutch_phone(match[0]):
            spans.append((match.start(), match.end()))
    return spans


def _date_of(match: re.Match[str], today: date) -> tuple[date, bool] | None:
    """The date a full-date match names and whether its year had two digits, or None if it does not exist."""
    short_year = False
    if match["iso_year"]:
        year, month, day = int(match["iso_year"]), int(match["iso_month"]), int(match["iso_day"])
    elif match["year"]:
        year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
        if len(match["year"]) == 2:
            short_year = True
            # "54" in a birth date is 1954, but "25" may be a baby born in 2025.
            year += 2000 if 2000 + year <= today.year else 1900
    else:
        year, month, day = int(match["named_year"]), MONTHS[match["named_month"].lower()], int(match["named_day"])
    try:
        return date(year, month, day), short_year
    except ValueError:
        return None


def _has_birth_marker(text: str, start: int) -> bool:
    """Whether a birth word ends at most a few words before `start`, or a birth sign sits right before it."""
    before = text[:start]
    if _BIRTH_SIGN.search(before):
        return True
    words = list(_BIRTH_WORD.finditer(before))
    return bool(words) and len(_WORD.findall(before[words[-1].end() :])) <= _BIRTH_WORD_REACH


def _follows_event_word(text: str, start: int) -> bool:
    """Whether the word right before `start` says the date is when something happens ("sinds 1-1-2024")."""
    words = text[:start].split()
    return bool(words) and words[-1].strip(_EDGE_PUNCTUATION).lower().rstrip(".") in _EVENT_WORDS


def _kind(word: str) -> str:
    """One letter: patient Title, Staff title, place (O), Initials, Leading particle, Particle, Name, Upper, or x."""
    # Initials first: "T." is an initial, not the particle "t" (no title, place or particle looks like initials).
    if _INITIALS.fullmatch(word) and word[0].isupper():
        return "I"
    lower = word.lower().rstrip(".")
    if lower in _KIND_OF_WORD:
        return _KIND_OF_WORD[lower]
    if lower in _NOT_NAMES or len(word) < 2 or not _NAME_WORD.fullmatch(word) or not word[0].isupper():
        return "x"
    return "U" if word.isupper() else "N"


def _tokens(text: str) -> list[_Token]:
    """The words of the text with their kinds; punctuation at a word's edges is not part of it."""
    tokens: list[_Token] = []
    for match in re.finditer(r"\S+", text):
        raw = match[0]
        word = raw.strip(_EDGE_PUNCTUATION)
        kind = _kind(word) if word else "x"
        if raw[0] in "([{" and tokens:
            previous = tokens[-1]
            tokens[-1] = _Token(previous.start, previous.end, previous.kind, closes=True)
        # A comma or a sentence's full stop ends a name; the dot of "mw." or "J." does not.
        closes = raw[-1] in ",;:)]}" or (raw[-1] == "." and kind in "xN")
        tokens.append(_Token(match.start(), match.end(), kind, closes))
    return tokens


def _name_spans(tokens: list[_Token]) -> list[tuple[int, int]]:
    """First and last token index of every run of name-like words that reads as a person's name."""
    spans: list[tuple[int, int]] = []
    index = 0
    while index < len(tokens):
        if tokens[index].kind not in _NAME_PARTS:
            index += 1
            continue
        first = index
        while index < len(tokens) and tokens[index].kind in _NAME_PARTS:
            index += 1
            if tokens[index - 1].closes:
                break
        kinds = "".join(token.kind for token in tokens[first:index])
        after_staff_or_place = first > 0 and tokens[first - 1].kind in "SO" and not tokens[first - 1].closes
        if not after_staff_or_place and _is_name_like(kinds):
            spans.append((first, index - 1))
    return spans


def _is_name_like(kinds: str) -> bool:
    """Whether a run of word kinds reads as a person's name: a title or initials before a name, or two names."""
    if re.search(r"[TI].*[NU]", kinds) or kinds.count("N") >= 2:
        return True
    # "van Dijk" is a surname on its own; a bare capitalised word is not a name (it may open a sentence).
    return bool(re.fullmatch(r"L[LP]*N", kinds))


def _token_range(tokens: list[_Token], start: int, end: int) -> tuple[int, int]:
    """The first and last index of the tokens that overlap the characters from `start` to `end`."""
    inside = [index for index, token in enumerate(tokens) if token.start < end and token.end > start]
    return inside[0], inside[-1]


def _name_near(tokens: list[_Token], spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether a name-like run lies within a few words of the characters from `start` to `end`."""
    first, last = _token_range(tokens, start, end)
    return any(0 <= max(first - name_last, name_first - last) - 1 <= _NAME_REACH for name_first, name_last in spans)


def _contains_name_with_birth_date(text: str, today: date) -> bool:
    """Whether a birth date appears after a birth marker, or next to a person's name."""
    tokens: list[_Token] | None = None
    spans: list[tuple[int, int]] = []
    for match in _FULL_DATE.finditer(text):
        found = _date_of(match, today)
        if found is None:
            continue
        day, short_year = found
        if day.year < today.year - _MAX_AGE_YEARS:
            continue
        if day < today and _has_birth_marker(text, match.start()):
            return True
        # Dates from this year on are request dates; two-digit years are too ambiguous without a marker.
        if short_year or day.year >= today.year or _follows_event_word(text, match.start()):
            continue
        if tokens is None:
            tokens = _tokens(text)
            spans = _name_spans(tokens)
        if _name_near(tokens, spans, match.start(), match.end()):
            return True
    return False


def find_patient_data(text: str, today: date, *, phone_numbers: bool = False) -> PatientDataKind | None:
    """The first kind of patient data the text seems to contain (BSN first, then a name with a birth date, then,
    with `phone_numbers`, a Dutch phone number), or None for plain logistics.

    Phone numbers are refused only where the text goes to other people and the member profile has its own phone
    field (request notes, action points); a meeting's place or agenda may carry the venue's or a dial-in number.
    """
    cleaned = strip_invisible(text)
    phones = phone_spans(cleaned)
    if _contains_bsn(cleaned, phones):
        return PatientDataKind.BSN
    if _contains_name_with_birth_date(cleaned, today):
        return PatientDataKind.NAME_WITH_BIRTH_DATE
    if phone_numbers and phones:
        return PatientDataKind.PHONE
    return None
