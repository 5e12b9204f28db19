"""Patient data is refused: BSNs by the eleven-check, birth dates next to names or birth markers; logistics pass."""

from __future__ import annotations

from datetime import date

import pytest

from bot.services.privacy import PatientDataKind, find_patient_data, is_valid_bsn, phone_spans

TODAY = date(2026, 11, 23)
WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def eleven_check(digits: str) -> bool:
    """The BSN rule written out independently of the module under test."""
    return sum(int(digit) * weight for digit, weight in zip(digits, WEIGHTS, strict=True)) % 11 == 0


def make_bsn(first_eight: str) -> str | None:
    """A valid BSN that starts with these eight digits, or None if no last digit makes one."""
    for last in "0123456789":
        if eleven_check(first_eight + last) and first_eight + last != "000000000":
            return first_eight + last
    return None


VALID_BSNS = [
    bsn
    for bsn in (make_bsn(start) for start in ["11122233", "12345678", "98765432", "23456789", "00000001", "31415926"])
    if bsn is not None
]
BSN = "111222333"
BSN_2 = "123456782"


def test_the_examples_pass_the_check_written_out() -> None:
    assert eleven_check(BSN)  # 9+8+7+12+10+8+9+6-3 = 66 = 6 * 11
    assert eleven_check(BSN_2)  # 9+16+21+24+25+24+21+16-2 = 154 = 14 * 11
    assert len(VALID_BSNS) >= 5


@pytest.mark.parametrize("digits", [BSN, BSN_2, *VALID_BSNS])
def test_valid_bsn(digits: str) -> None:
    assert is_valid_bsn(digits)


@pytest.mark.parametrize("digits", [bsn[1:] for bsn in [*VALID_BSNS, "012345672"] if bsn.startswith("0")])
def test_eight_digits_get_a_leading_zero(digits: str) -> None:
    assert len(digits) == 8
    assert is_valid_bsn(digits)


@pytest.mark.parametrize(
    "digits",
    [
        "123456789",
        "111222334",
        "111222332",
        "000000000",
        "00000000",
        "12345678",
        "1234567",
        "1234567890",
        "0612345678",
        "",
        "11122233a",
        "111 222 333",
        "111-222-333",
        "١١١٢٢٢٣٣٣",
        "１１１２２２３３３",
    ],
)
def test_invalid_bsn(digits: str) -> None:
    assert not is_valid_bsn(digits)


def test_one_changed_digit_breaks_the_check() -> None:
    for position in range(9):
        for digit in "0123456789":
            changed = BSN[:position] + digit + BSN[position + 1 :]
            assert is_valid_bsn(changed) == (changed == BSN)


@pytest.mark.parametrize(
    "text",
    [
        BSN,
        BSN_2,
        *VALID_BSNS,
        f"BSN {BSN}",
        f"bsn: {BSN}.",
        f"BSN:{BSN}",
        "1234 56 782",
        "1234.56.782",
        "1234-56-782",
        "123 456 782",
        "123.456.782",
        "123-456-782",
        "111 222 333",
        "patiënt met nummer 111.222.333 belt terug",
        "1234\u200b56782",
        "1234\u200c56\u200d782",
        "\u200f111222333\u200f 😀",
        "\u202e111222333\u202c",
        "\ufeff111222333",
        "1234\u00ad56782",
        "111\u00a0222\u00a0333",
        "１１１２２２３３３",
        "nr 123456789 of toch 111222333",
        "Kamer 2 111222333",
        "(111222333)",
        "geb. 1-2-1950, bsn 111222333",
    ],
)
def test_bsn_found(text: str) -> None:
    assert find_patient_data(text, TODAY) is PatientDataKind.BSN


@pytest.mark.parametrize(
    "text",
    [
        "123456789",
        "123 456 789",
        "0612345678",
        "06-12345678",
        "06 1234 5678",
        "+31612345678",
        "043-1234567",
        "043 123 4567",
        "1111222333",
        "1112223330",
        "01112223330",
        "x1112223334",
        "111 222 3330",
        "0 111 222 333",
        "111 222 333 4",
        "111.222.333.4",
        "111-222 333",
        "11 1222 333",
        "12345678",
        "NL91ABNA0417164300",
    ],
)
def test_not_a_bsn(text: str) -> None:
    assert find_patient_data(text, TODAY) is None


LOGISTICS = [
    "Wij zoeken een assistent voor dinsdag 3 december, ochtend, spreekuur dr. Jansen",
    "Praktijk Vrijthof, 3-12-2026 08:00-12:30",
    "bel 043-1234567",
    "Bel me op 06-12345678 als je kunt",
    "Praktijk Caberg zoekt een POH voor 03-12-2026 en 04-12-2026",
    "Dienst van 8:00 tot 12:30, sleutel bij de balie",
    "Factuur nr 123456789 volgt",
    "IBAN NL91ABNA0417164300, t.n.v. Huisartsenpraktijk Caberg",
    "KvK 12345678, AGB-code 01234567",
    "Postcode 6211 AB, Vrijthof 12, 2e verdieping",
    "Tijd: 08.00–12.30 😊",
    "مرحبا \u200f 3-12",
    "Telefoon praktijk: 043 321 45 67",
    "Vervanging nodig op 3-12-2026 en 4-12-2026 voor dhr. Bakker (POH)",
    "Jan de Vries werkt 12-03-2027 ochtend",
    "Sinds 01-01-2020 werkt Anja van Dam bij ons",
    "Rooster week 49: ma 1-12, di 2-12, wo 3-12",
    "spreekuur dr. Jan de Vries op 1-12-2025 ging prima",
    "Praktijk Mosae Forum 01-01-1995 opgericht",
    "dr. Jansen 3-12-26",
    "Geb. A, kamer 3, do 3 december",
    "tel 06 123 456 78",
    "Vervanging in Maastricht 12-03-2025",
    "* 01-01-2025: nieuwe sleutel",
    "Huisartsenpraktijk De Heeg 08:00-17:00 op 4-12-2026",
    "Graag iemand voor vrijdag 4 december 2026, Marieke Smit is ziek",
    "Mw. Jansen (triagist) zoekt vervanging 5-12-2026 van 13:00 tot 17:00",
    "Overdracht om 12:30, vragen? Mail info@praktijk.nl",
    "Jan de Vries 12-03-2026",
    "Jan de Vries 12-03-1905",
    "Assistente gezocht 7 en 8 januari 2027, 08:00-16:30, Praktijk Heer",
    "\u202e\u200d👨\u200d⚕️ 3-12 \ufeff",
    "",
    "   ",
    "😀" * 500,
    "Dear colleagues, we need a doctor's assistant on Tuesday 8 December 2026, 8:00 to 12:30",
]

PATIENT_DATA = [
    "patiënt J. de Vries 12-03-1954",
    "mevr. Jansen (geb. 1-2-1950)",
    "geboren 01-02-1980",
    "Jan de Vries 12-03-1954",
    "Jan de Vries, 12-03-1954",
    "12-03-1954 Jan de Vries",
    "dhr. Bakker, 3 maart 1948",
    "mevrouw Pietersen 1954-03-12",
    "Mw. JANSEN 12.03.1954",
    "J.P. Bakker 1-1-1990 heeft uitslag",
    "van Dijk, 12-03-1954, belt morgen",
    "Graag terugbellen over mw. de Wit 04-07-1961",
    "DOB 12/03/1954",
    "d.o.b. 12/03/1954",
    "Born 3 March 1950",
    "born on 3 March 1950",
    "geboortedatum: 5 januari 2001",
    "geb.datum 3-4-1977",
    "geboren op dinsdag 1 februari 1983",
    "Jansen *12-03-1954",
    "° 3-4-1977",
    "geb. 12-03-54",
    "geboren 01-02-2026",
    "Jan de Vries 12-03-1906",
    "Jan de Vries 12-03-2025",
    "de heer Van den Berg (12-3-1960) belt om 10:00",
    "Mrs. Smith 3 March 1950",
    "mevr. J. de Vries\u200b 12-03-1954 😀",
]


def test_the_lists_are_long_enough() -> None:
    assert len(LOGISTICS) >= 15
    assert len(PATIENT_DATA) >= 10


@pytest.mark.parametrize("text", LOGISTICS)
def test_logistics_pass(text: str) -> None:
    assert find_patient_data(text, TODAY) is None


@pytest.mark.parametrize("text", PATIENT_DATA)
def test_name_with_birth_date_found(text: str) -> None:
    assert find_patient_data(text, TODAY) is PatientDataKind.NAME_WITH_BIRTH_DATE


@pytest.mark.parametrize(
    ("text", "today", "found"),
    [
        ("Jan de Vries 12-03-1954", date(1954, 12, 1), False),  # this year: could be a request date
        ("Jan de Vries 12-03-1954", date(1955, 1, 1), True),
        ("Jan de Vries 12-03-1954", date(2074, 12, 31), True),  # 120 years before
        ("Jan de Vries 12-03-1954", date(2075, 1, 1), False),  # 121 years before
        ("geboren 12-03-1954", date(2075, 1, 1), False),
        ("geboren 12-03-2026", date(2026, 3, 13), True),  # a marker and a past date
        ("geboren 12-03-2026", date(2026, 3, 12), False),
        ("geboren 12-03-2027", date(2026, 3, 12), False),
        ("geb. 01-02-25", date(2026, 11, 23), True),  # 2025
        ("geb. 01-02-30", date(2026, 11, 23), True),  # 1930
        ("Jan de Vries 12-03-54", date(2026, 11, 23), False),  # two-digit year without a marker
        ("Jan de Vries 29-02-1953", date(2026, 11, 23), False),  # no such date
        ("geboren 29-02-1952", date(2026, 11, 23), True),  # a leap day
    ],
)
def test_birth_date_window(text: str, today: date, found: bool) -> None:
    assert (find_patient_data(text, today) is PatientDataKind.NAME_WITH_BIRTH_DATE) == found


@pytest.mark.parametrize(
    "text",
    [
        "mw. Jansen, geb. 1-2-1950, BSN 111222333",
        "BSN 111222333, mw. Jansen 1-2-1950",
    ],
)
def test_bsn_is_checked_first(text: str) -> None:
    assert find_patient_data(text, TODAY) is PatientDataKind.BSN


def test_kind_values_are_machine_readable() -> None:
    assert [str(kind) for kind in PatientDataKind] == ["bsn", "name_with_birth_date", "phone"]
    assert PatientDataKind("bsn") is PatientDataKind.BSN


@pytest.mark.parametrize(
    "text",
    [
        "\u0000\u0001\u001f",
        "\ud7ff\ue000\uffff",
        "𝟏𝟏𝟏𝟐𝟐𝟐𝟑𝟑𝟑",
        "ﷺ" * 100,
        "\u200b" * 1000,
        "Jan " * 2000 + "12-03-1954",
        ("3-12-2026 " * 400) + "Jan de Vries",
        "(((((" + "[" * 100,
        "1" * 5000,
        "1 " * 3000,
    ],
)
def test_odd_text_does_not_crash(text: str) -> None:
    find_patient_data(text, TODAY)


# Dutch phone numbers: refused where the profile has a phone field (request notes, action points).
PHONES = [
    "0612345678",
    "06-12345678",
    "06 12345678",
    "06 - 12345678",
    "06 1234 5678",
    "06 12 34 56 78",
    "06.12.34.56.78",
    "06-1234 5678",
    "0612 345 678",
    "(06) 12345678",
    "+31612345678",
    "+31 6 1234 5678",
    "+31 6 12345678",
    "+31-6-12345678",
    "+31 (0)6 1234 5678",
    "+31 (0)20 123 4567",
    "+31 06 12345678",
    "0031612345678",
    "0031 6 12345678",
    "020-1234567",
    "020 123 4567",
    "0201234567",
    "043-3214567",
    "043 321 45 67",
    "(043) 321 45 67",
    "0475-123456",
    "Bel me op 06-12345678 als je kunt",
    "tel: 06 123 456 78",
    "tel:0612345678",
    "Vragen? 06-12345678.",
    "Marij (06-12345678) opent de deur",
    "Sleutel bij de buren, 043 123 4567, vanaf 7:30",
    "Assistente gezocht voor 3-12-2026 08:00-12:30, bel 0612345678",
]

NOT_PHONES = [
    "08:00-12:30",
    "08.00-12.30",
    "0800-1230",
    "12-01-2026",
    "01-12-2026",
    "06-12-2026",
    "06-12-2026 14:00",
    "06.12.2026 14",
    "03-12 04-12 05-12",
    "06-12, 07-12 en 08-12",
    "3 dagdelen, 2 ochtenden",
    "Postcode 6211 AB",
    "6211AB Maastricht",
    "AGB-code 01234567",
    "AGB 01-234567",
    "KvK 12345678",
    "Hulpvraag #1234",
    "hulpvraag 123, 124 en 125",
    "IBAN NL91ABNA0417164300",
    "0800-1234567",
    "0900 1234567",
    "+32 470 12 34 56",
    "+49 30 1234567",
    "06123456",
    "061234567890",
    "0612345678x",
    "v0612345678",
    "1.234.567.890",
    "0,612345678",
    "Kamer 0.12, verdieping 2",
    "Week 49: 30-11 t/m 4-12",
    "di 1 dec 2026 08:00-17:30",
    "2026-12-01T08:00",
]


@pytest.mark.parametrize("text", PHONES)
def test_phone_number_found(text: str) -> None:
    assert find_patient_data(text, TODAY, phone_numbers=True) is PatientDataKind.PHONE


# The logistics examples above that hold a phone number (they pass where phone numbers may be).
LOGISTICS_PHONES = {"bel 043-1234567", "Bel me op 06-12345678 als je kunt", "Telefoon praktijk: 043 321 45 67"}
LOGISTICS_PHONES.add("tel 06 123 456 78")


@pytest.mark.parametrize("text", [*NOT_PHONES, *(text for text in LOGISTICS if text not in LOGISTICS_PHONES)])
def test_not_a_phone_number(text: str) -> None:
    assert find_patient_data(text, TODAY, phone_numbers=True) is None


@pytest.mark.parametrize("text", [*PHONES, *LOGISTICS_PHONES])
def test_phone_numbers_are_let_through_where_they_may_be(text: str) -> None:
    # Meetings' places and agendas may carry a venue's or a dial-in number.
    assert find_patient_data(text, TODAY) is None


@pytest.mark.parametrize("text", ["+31 612345678", "+31 123456782", "0031 111222333"])
def test_nine_digits_after_the_country_code_are_a_phone_number_not_a_bsn(text: str) -> None:
    assert find_patient_data(text, TODAY, phone_numbers=True) is PatientDataKind.PHONE
    assert find_patient_data(text, TODAY) is None


@pytest.mark.parametrize(
    "text",
    [
        "mw. Jansen 06-12345678 BSN 111222333",
        "BSN 123456782, bel 020-1234567",
    ],
)
def test_a_bsn_next_to_a_phone_number_is_still_a_bsn(text: str) -> None:
    assert find_patient_data(text, TODAY, phone_numbers=True) is PatientDataKind.BSN


def test_phone_spans_point_at_the_number() -> None:
    text = "Sleutel: bel (043) 321 45 67 of +31 6 1234 5678."
    assert [text[start:end] for start, end in phone_spans(text)] == ["043) 321 45 67", "+31 6 1234 5678"]


# The request's own dates are not birth dates, however they are written, and with a name nearby.
@pytest.mark.parametrize(
    "text",
    [
        "Marieke Smit is ziek op 24-11-2026",
        "Jan de Vries afwezig 24-11-2026 t/m 27-11-2026",
        "Waarneming voor dr. Bakker 1 december 2026 en 2 december 2026",
        "Anja van Dam heeft verlof 2026-12-24",
        "Vervanging Jan Jansen 3-12-2026, 08:00-12:30",
        "Piet Janssen 01-01-2027 ochtend",
        "Ingrid de Boer, dinsdag 24 november 2026",
    ],
)
def test_a_date_for_the_request_itself_is_not_a_birth_date(text: str) -> None:
    assert find_patient_data(text, TODAY, phone_numbers=True) is None


@pytest.mark.parametrize("text", ["06-12345678" * 300, "0" * 5000, "06 " * 3000, "+31 " * 2000, "(06) " * 1000])
def test_odd_phone_like_text_does_not_crash(text: str) -> None:
    find_patient_data(text, TODAY, phone_numbers=True)
