"""Resident ID numbers (GB 11643-1999): check digit, derived gender and birth date, masking."""

import re
from datetime import date

from patrol import messages

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83", "91",
}  # fmt: skip
_SHAPE = re.compile(r"\d{17}[\dX]")


class IdNumberError(ValueError):
    """The ID number is not a valid 18-digit resident ID number; the message says why."""


def check_char(first17):
    """The GB 11643 check character for the first 17 digits."""
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def normalize(raw):
    """Strip spaces and upper-case a trailing x."""
    return str(raw).strip().replace(" ", "").upper()


def validate(raw, today=None):
    """Normalised ID number, or IdNumberError (shape, region, birth date, check digit)."""
    number = normalize(raw)
    if not _SHAPE.fullmatch(number):
        raise IdNumberError(messages.text("people.id_number_length"))
    if number[:2] not in PROVINCES:
        raise IdNumberError(messages.text("people.id_number_region_code"))
    try:
        born = birth_date(number)
    except ValueError:
        raise IdNumberError(messages.text("people.id_number_birth_date_invalid")) from None
    if born > (today or date.today()) or born.year < 1880:
        raise IdNumberError(messages.text("people.id_number_birth_date_invalid"))
    if check_char(number[:17]) != number[17]:
        raise IdNumberError(messages.text("people.id_number_check_digit"))
    return number


def birth_date(number):
    """Birth date encoded in digits 7–14."""
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def gender(number):
    """'M' when the 17th digit is odd, else 'F'."""
    return "M" if int(number[16]) % 2 else "F"


def mask_id(number):
    """110101***********4: the region and the check character only.

    Birth digits, sequence and gender digit stay hidden, so together with the birth year and gender
    that responses carry, thousands of numbers remain possible (see docs/security.md).
    """
    return number[:6] + "*" * (len(number) - 7) + number[-1:]


def mask_phone(phone):
    """138****5678 for mobiles; other numbers keep their first 3 and last 4 characters."""
    if len(phone) <= 7:
        return "*" * (len(phone) - 2) + phone[-2:]
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


_PHONE = re.compile(r"1[3-9]\d{9}|0\d{2,3}-?\d{7,8}")


def normalize_phone(raw):
    """A mobile (11 digits) or landline (0571-88886666) number without spaces, or ValueError."""
    phone = re.sub(r"[\s()]", "", str(raw)).removeprefix("+86")
    if not _PHONE.fullmatch(phone):
        raise ValueError(messages.text("people.phone_invalid"))
    return phone
