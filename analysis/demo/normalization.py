"""Meta's normalization and hashing, written out locally so the demo does not depend on the code it tests."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analysis.demo.catalog import Person

CALLING_CODE = {"US": "1", "CA": "1", "GB": "44", "DE": "49", "FR": "33"}


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _letters(value: str) -> str:
    """Lowercase, keep letters and digits only (Meta: no punctuation or spaces; UTF-8 letters allowed)."""
    return "".join(ch for ch in value.lower() if ch.isalnum())


def normalize_phone(raw: str, country: str) -> str:
    """E.164 digits without '+': national numbers get the country code and lose the trunk 0."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    if raw.lstrip().startswith("+"):
        return digits
    code, national = CALLING_CODE[country], digits.lstrip("0")
    return national if code == "1" and len(national) == 11 and national.startswith("1") else code + national


def national_digits(raw: str) -> str:
    """checkout-v2's mistake: the national number's digits, no trunk 0 and no country code."""
    return "".join(ch for ch in raw if ch.isdigit()).lstrip("0")


def normalize_zip(raw: str, country: str) -> str:
    z = raw.lower().replace(" ", "").replace("-", "")
    return z[:5] if country == "US" else z


@lru_cache(maxsize=4096)
def _hashed_letters(value: str) -> str:
    """sha256 of a name's or a place's letters and digits ('' when it has none): the demo's names and places repeat."""
    letters = _letters(value)
    return sha256(letters) if letters else ""


@lru_cache(maxsize=64)
def _hashed(value: str) -> str:
    return sha256(value) if value else ""


def hashed_user_data(person: Person) -> dict[str, str]:
    """The correctly normalized and hashed customer keys of a person (absent fields left out)."""
    em = person.email.strip().lower()
    ph = normalize_phone(person.phone, person.country) if person.phone else ""
    zp = normalize_zip(person.zip, person.country)
    hashed = {
        "em": sha256(em) if em else "",
        "ph": sha256(ph) if ph else "",
        "fn": _hashed_letters(person.first),
        "ln": _hashed_letters(person.last),
        "ct": _hashed_letters(person.city),
        "st": _hashed_letters(person.state),
        "zp": sha256(zp) if zp else "",
        "country": _hashed(person.country.lower()),
    }
    hashed = {key: value for key, value in hashed.items() if value}
    hashed["external_id"] = sha256(person.cid)  # hashed, as Meta recommends (Meta's Python SDK would not)
    return hashed
