"""USPS Publication 28 abbreviations (directionals and street suffixes), as kept by
usaddress-scourgify, shared by Address Corrections and Parse Addresses.

Loaded on first use, not at import: every DAG-file parse imports the catalog.
"""

from __future__ import annotations

import functools


@functools.cache
def tables() -> tuple[dict[str, str], frozenset[str], dict[str, str]]:
    """(directional word -> abbreviation, the abbreviations, suffix word -> abbreviation)."""
    from scourgify.address_constants import (
        AMBIGUOUS_DIRECTIONALS,
        DIRECTIONAL_REPLACEMENTS,
        STREET_TYPE_ABBREVIATIONS,
    )

    directionals = {**DIRECTIONAL_REPLACEMENTS, **AMBIGUOUS_DIRECTIONALS}
    return directionals, frozenset(directionals.values()), STREET_TYPE_ABBREVIATIONS


def word(token: str) -> str:
    """``token`` as the tables spell it: upper case, without a trailing period."""
    return token.rstrip(".").upper()


def directional(token: str) -> str | None:
    """The abbreviation of a compass direction (spelled out or abbreviated), else None."""
    directionals, abbreviations, _ = tables()
    key = word(token)
    if key in abbreviations:
        return key
    return directionals.get(key)


def suffix(token: str) -> str | None:
    """The abbreviation of a street suffix (spelled out or abbreviated), else None."""
    return tables()[2].get(word(token))
