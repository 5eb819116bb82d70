"""The re-identification scanner's core (issue 17 part 2, not yet wired into publishing):
never-publish terms kept as keyed digests, matched in all eight languages (character windows
for the four scripts written without spaces), near-misses that must not match, and patterns
that identify. Every name and place here is fictional."""

from __future__ import annotations

import unicodedata

import pytest

from wagtail_sixdegrees.stories.reidentification import (
    Finding,
    find_patterns,
    find_terms,
    new_salt,
    scan,
    store_terms,
)

SALT = "fictional-test-salt"

# (language, term, text containing it)
CONTAINING = [
    ("en", "Riverside Garment Works", "She sewed shirts at riverside  garment works for a year."),
    ("th", "บ้านหนองบัวทอง", "เธอเติบโตที่บ้านหนองบัวทองก่อนจะย้ายไปทำงาน"),
    ("km", "ភូមិស្វាយព្រៃ", "នាងបានធំធាត់នៅភូមិស្វាយព្រៃហើយបានចាកចេញ"),
    ("my", "ရွာသစ်ကုန်း", "သူမသည်ရွာသစ်ကုန်းတွင်ကြီးပြင်းခဲ့သည်"),
    ("lo", "ບ້ານນາໂພໃຫຍ່", "ນາງເຕີບໃຫຍ່ຢູ່ບ້ານນາໂພໃຫຍ່ກ່ອນຈະຍ້າຍໄປ"),
    ("vi", "Nguyễn Thị Hoa", "Chị nguyễn thị hoa đã làm việc ở đó."),
    ("id", "Desa Sukamakmur", "Ia dibesarkan di desa-sukamakmur sebelum pergi."),
    ("tl", "Barangay Malinaw", "Lumaki siya sa BARANGAY MALINAW bago umalis."),
]


@pytest.mark.parametrize(("language", "term", "text"), CONTAINING, ids=[c[0] for c in CONTAINING])
def test_a_recorded_term_is_found_in_each_language(language, term, text):
    stored = store_terms([term], SALT)

    (finding,) = find_terms(text, stored, SALT)

    assert finding.kind == "term"
    assert finding.end - finding.start >= len(term.replace(" ", "")) - 1


def test_decomposed_vietnamese_matches_a_composed_term():
    stored = store_terms(["Nguyễn Thị Hoa"], SALT)
    text = unicodedata.normalize("NFD", "Chị Nguyễn Thị Hoa kể lại.")

    assert [f.kind for f in find_terms(text, stored, SALT)] == ["term"]


NEAR_MISSES = [
    ("en", "Lan", "The lantern by Lana's door was lit."),
    ("en", "Mai", "They maintain the main road."),
    ("vi", "Hoa", "Hoang and Hoai planted flowers."),
    ("th", "บ้านหนองบัวทอง", "เธอเติบโตที่บ้านหนองบัวแดงก่อนจะย้ายไปทำงาน"),
    ("km", "ភូមិស្វាយព្រៃ", "នាងបានធំធាត់នៅភូមិស្វាយរៀងហើយបានចាកចេញ"),
    ("id", "Desa Sukamakmur", "Ia dibesarkan di Desa Sukamaju sebelum pergi."),
]


@pytest.mark.parametrize(("language", "term", "text"), NEAR_MISSES, ids=[c[0] for c in NEAR_MISSES])
def test_near_misses_do_not_match(language, term, text):
    assert find_terms(text, store_terms([term], SALT), SALT) == []


def test_stored_terms_never_contain_the_term_and_depend_on_the_salt():
    terms = ["Nguyễn Thị Hoa", "บ้านหนองบัวทอง"]
    one, two = store_terms(terms, new_salt()), store_terms(terms, new_salt())

    stored = repr(one)
    assert all(term not in stored and term.casefold() not in stored for term in terms)
    assert {t.digest for t in one}.isdisjoint({t.digest for t in two})
    assert find_terms("Chị Nguyễn Thị Hoa", one, SALT) == []  # wrong salt finds nothing


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("She was 17 years old when she left.", "age"),
        ("ตอนนั้นเธออายุ ๑๗ ปี", "age"),
        ("Chị ấy 16 tuổi.", "age"),
        ("She left on 12 March 2019.", "date"),
        ("เธอออกจากบ้านวันที่ 12 มีนาคม 2562", "date"),
        ("Call +66 81 234 5678 any time.", "phone"),
        ("โทร ๐๘๑ ๒๓๔ ๕๖๗๘", "phone"),
        ("Call １２３-４５６-７８９０", "phone"),
        ("Write to fictional.person@example.org.", "email"),
        ("Her card number was 1234567890123.", "id_number"),
        ("She lived at 14 Soi Fictional Road.", "address"),
        ("บ้านอยู่ซอย 14 ใกล้ตลาด", "address"),
    ],
)
def test_identifying_patterns_are_found(text, kind):
    assert kind in [finding.kind for finding in find_patterns(text)]


#: Exact dates as each site language writes them, with the span the finding must cover.
DATES = [
    ("vi", "Chị rời nhà ngày 12 tháng 3 năm 2019.", "ngày 12 tháng 3 năm 2019"),
    ("vi", "Chị rời nhà 12 tháng 3, năm 2019.", "12 tháng 3, năm 2019"),
    ("km", "នាងចាកចេញថ្ងៃទី១២ ខែមីនា ឆ្នាំ២០១៩ ពីភូមិ", "ថ្ងៃទី១២ ខែមីនា ឆ្នាំ២០១៩"),
    ("km", "នាងចាកចេញថ្ងៃទី១២ ខែ៣ ឆ្នាំ២០១៩", "ថ្ងៃទី១២ ខែ៣ ឆ្នាំ២០១៩"),
    ("lo", "ນາງອອກຈາກບ້ານ 12 ມີນາ 2019 ແລ້ວ", "12 ມີນາ 2019"),
    ("lo", "ນາງອອກວັນທີ ໑໒ ເດືອນ ສິງຫາ ປີ ໒໐໑໙", "ວັນທີ ໑໒ ເດືອນ ສິງຫາ ປີ ໒໐໑໙"),
    ("my", "သူမ ၁၂ မတ် ၂၀၁၉ တွင် ထွက်ခွာခဲ့သည်", "၁၂ မတ် ၂၀၁၉"),
    ("my", "၂၀၁၉ ခုနှစ် ဇူလိုင်လ ၁၂ ရက်နေ့တွင်", "၂၀၁၉ ခုနှစ် ဇူလိုင်လ ၁၂ ရက်"),
    ("en", "She left on March 12th 2019.", "March 12th 2019"),
    ("en", "She left on the 3rd of August, 2019.", "3rd of August, 2019"),
]


@pytest.mark.parametrize(("language", "text", "date"), DATES, ids=[d[0] for d in DATES])
def test_exact_dates_are_found_in_each_script(language, text, date):
    (finding,) = find_patterns(text)

    assert (finding.kind, text[finding.start : finding.end]) == ("date", date)


#: Amounts written with dotted thousands are money, not phone numbers.
AMOUNTS = [
    "Chị nợ 30.000.000 đồng.",
    "Chị nợ 30.000.000đ, rồi thêm 5.000.000 ₫ nữa.",
    "Utangnya Rp 1.500.000 sebulan.",
    "Ia dibayar 1.500.000 per bulan.",
    "Khoản nợ từ 30.000.000 - 40.000.000 đồng.",
    "Ia dibayar Rp 1500000000 setahun.",
    "ค่านายหน้า 30 000 000 บาท",
]


@pytest.mark.parametrize("text", AMOUNTS)
def test_amounts_with_thousands_separators_are_not_phone_numbers(text):
    assert find_patterns(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Gọi 090.123.4567 sau khi nhận 30.000.000 đồng.",
        "Rp 1.500.000, hubungi 0812-3456-7890.",
        "Điện thoại 0901.234.567, nợ 30.000.000 đồng.",
        "Hỏi Dong 0901 234 567 về 30.000.000 đồng.",
        "Call Dong +84 90 123 4567 about the 1.500.000 kip.",
    ],
)
def test_a_phone_number_beside_an_amount_is_still_found(text):
    assert [finding.kind for finding in find_patterns(text)] == ["phone"]


@pytest.mark.parametrize(
    "text",
    [
        "She found work in a province in the north.",
        "Twelve beds are ready at the shelter.",
        "It took three years to go home.",
        "ตอนนี้เธอปลอดภัยแล้ว",
    ],
)
def test_plain_story_text_has_no_findings(text):
    assert find_patterns(text) == []


def test_scan_combines_terms_and_patterns_without_saying_which_term():
    stored = store_terms(["Barangay Malinaw", "Riverside"], SALT)

    findings = scan("At 16 years old she left Barangay Malinaw.", stored, SALT)

    assert {f.kind for f in findings} == {"age", "term"}
    assert all(
        isinstance(f, Finding) and set(vars(f)) == {"kind", "start", "end"} for f in findings
    )
