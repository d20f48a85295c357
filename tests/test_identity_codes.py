"""Finnish personal identity codes (SPEC §3) through python-stdnum."""
from __future__ import annotations

from datetime import date

import pytest

from consult.clients.identity import InvalidIdentityCode, parse
from tests.factories import identity_code


@pytest.mark.parametrize("sign,year", [
    ("+", 1878), ("-", 1978), ("Y", 1978), ("X", 1978), ("W", 1978), ("V", 1978), ("U", 1978),
    ("A", 2008), ("B", 2008), ("C", 2008), ("D", 2008), ("E", 2008), ("F", 2008),
])
def test_every_century_sign_is_accepted(sign, year):
    birth = "150378" if year % 100 == 78 else "150308"
    code = identity_code(birth + sign, 234)
    parsed = parse(code, today=date(2026, 11, 22))
    assert parsed.code == code
    assert parsed.birth_date == date(year, 3, 15)
    assert not parsed.is_temporary


def test_known_example_code_is_valid():
    assert parse("131052-308T").birth_date == date(1952, 10, 13)


def test_wrong_check_character_is_refused():
    with pytest.raises(InvalidIdentityCode, match="check character"):
        parse("131052-308U")


@pytest.mark.parametrize("code", ["310278-1234", "300278-123A"])
def test_impossible_date_is_refused(code):
    # 30 and 31 February do not exist, whatever the check character says.
    digits = code[:6] + code[7:10]
    from consult.clients.identity import check_character

    with pytest.raises(InvalidIdentityCode, match="impossible date"):
        parse(code[:10] + check_character(digits))


def test_birth_date_in_the_future_is_refused():
    with pytest.raises(InvalidIdentityCode, match="impossible date"):
        parse(identity_code("010130A", 234), today=date(2026, 11, 22))


@pytest.mark.parametrize("raw", ["", "131052308T", "131052/308T", "13105-308T", "abc"])
def test_malformed_codes_are_refused_with_a_format_hint(raw):
    with pytest.raises(InvalidIdentityCode):
        parse(raw)


@pytest.mark.parametrize("number", [900, 954, 999])
def test_temporary_codes_are_accepted_and_marked(number):
    parsed = parse(identity_code("150378-", number))
    assert parsed.is_temporary


def test_individual_numbers_below_two_are_refused():
    with pytest.raises(InvalidIdentityCode):
        parse(identity_code("150378-", 1))


def test_lowercase_and_surrounding_spaces_are_normalised():
    code = identity_code("150308a", 234)
    assert parse(f"  {code.lower()} ").code == code.upper()


def test_the_test_worlds_codes_are_never_the_demo_worlds():
    """Tests put clients of their own beside the demo world and look for a client's
    identity code on pages (tests/test_scope_invisible.py): a factory's code equal to a
    demo client's would show one client's code on the other's page. The factory's
    default codes, whatever its counter, are none of the demo's."""
    from consult.demo import CLIENTS, demo_identity_code

    demo = {demo_identity_code(birth, number) for _name, _first, birth, number, *_ in CLIENTS}
    assert len(demo) == len(CLIENTS)
    assert not {identity_code() for _ in range(200)} & demo
