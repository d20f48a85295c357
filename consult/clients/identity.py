"""Finnish personal identity codes (henkilötunnus), validated with python-stdnum.

Format, date, the century signs (+, -, A and the 2023 signs -YXWVU and ABCDEF) and the
check character; temporary codes (individual number 900–999) are accepted and marked."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError
from stdnum.fi import hetu

CENTURIES = {"+": 1800, "-": 1900, "Y": 1900, "X": 1900, "W": 1900, "V": 1900, "U": 1900,
             "A": 2000, "B": 2000, "C": 2000, "D": 2000, "E": 2000, "F": 2000}


@dataclass(frozen=True)
class IdentityCode:
    code: str
    birth_date: date
    is_temporary: bool


class InvalidIdentityCode(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def normalise(raw: str) -> str:
    return hetu.compact(raw or "")


def is_temporary(code: str) -> bool:
    return len(code) == 11 and code[7:10].isdigit() and 900 <= int(code[7:10]) <= 999


def parse(raw: str, *, today: date | None = None) -> IdentityCode:
    """The normalised code, or InvalidIdentityCode with a message for the user."""
    code = normalise(raw)
    if not code:
        raise InvalidIdentityCode(_l("Enter the personal identity code."))
    try:
        hetu.validate(code, allow_temporary=True)
    except InvalidChecksum:
        raise InvalidIdentityCode(
            _l("The check character does not match. Check the personal identity code."))
    except InvalidComponent:
        raise InvalidIdentityCode(
            _l("The personal identity code has an impossible date or individual number."))
    except ValidationError:
        raise InvalidIdentityCode(
            _l("The personal identity code must look like 131052-308T (six digits, a century "
               "sign, three digits and a check character)."))
    born = date(CENTURIES[code[6]] + int(code[4:6]), int(code[2:4]), int(code[0:2]))
    if born > (today or date.today()):
        raise InvalidIdentityCode(
            _l("The personal identity code has an impossible date or individual number."))
    return IdentityCode(code=code, birth_date=born, is_temporary=is_temporary(code))


def check_character(first_nine_digits: str) -> str:
    """The check character for DDMMYY + individual number (used to build demo codes)."""
    return hetu._calc_checksum(first_nine_digits)
