"""Checks on what residents type: phone numbers and first names. Errors carry a French message."""

from __future__ import annotations

import unicodedata

import phonenumbers

from booking.errors import InvalidInput

FIRST_NAME_MAX = 60


def normalize_phone(raw: str | None) -> str:
    """'06 12 34 56 78', '0612345678', '+33 6 12…' -> '+33612345678' (E.164)."""
    text = (raw or "").strip()
    if not text:
        raise InvalidInput("Il me faut un numéro de téléphone pour vous rappeler.")
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise InvalidInput(
            "Ce numéro de téléphone ne semble pas correct. Écrivez-le par exemple ainsi : 06 12 34 56 78."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str | None) -> str:
    """'+33612345678' -> '06 12 34 56 78' (national format for French numbers)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 33:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def clean_first_name(raw: str | None) -> str:
    """Keep the name as typed (escaping is the web layer's job), minus control characters and
    surrounding or repeated spaces."""
    text = "".join(ch for ch in (raw or "") if unicodedata.category(ch)[0] != "C" or ch == " ")
    text = " ".join(text.split())
    if not text:
        raise InvalidInput("Quel prénom puis-je noter pour le rendez-vous ?")
    if len(text) > FIRST_NAME_MAX:
        raise InvalidInput(f"Ce prénom est trop long. Écrivez-le en {FIRST_NAME_MAX} caractères au plus.")
    return text
