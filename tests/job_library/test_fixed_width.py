"""Fixed-width layouts: declarations checked once, values padded or refused by name."""

from __future__ import annotations

import pytest

from job_library.fixed_width import Fill, LayoutError, layout

TINY = layout(
    "Tiny",
    12,
    [
        ("district", 1, 2, Fill.NUMERIC),
        ("school", 3, 6, Fill.RIGHT),
        ("name", 7, 10, Fill.LEFT),
        ("filler", 11, 12, Fill.FILLER),
    ],
)


def test_values_are_padded_as_their_fill_says():
    assert TINY.record({"district": 7, "school": "11", "name": "Ab"}) == "070011Ab    "
    assert TINY.record({}) == "00" + " " * 10  # N/R zeros, A/N/R and A/N blank
    assert TINY.parse("070011Ab    \r\n") == {"district": "07", "school": "0011", "name": "Ab"}


def test_bad_values_are_refused_naming_field_and_value():
    with pytest.raises(LayoutError, match=r"field name \(7-10\) holds 4 character\(s\); 'Abcde'"):
        TINY.record({"name": "Abcde"})
    with pytest.raises(LayoutError, match=r"field district \(1-2\) is numeric; '7A' is not"):
        TINY.record({"district": "7A"})
    with pytest.raises(LayoutError, match="'Né' is not printable ASCII"):
        TINY.record({"name": "Né"})
    with pytest.raises(LayoutError, match="the record is 11 characters long, expected 12"):
        TINY.parse("070011Ab   ")


def test_a_declaration_with_a_gap_or_a_wrong_size_is_refused():
    with pytest.raises(LayoutError, match="field b is at 4-5, expected it to start at 3"):
        layout("Gap", 5, [("a", 1, 2, Fill.LEFT), ("b", 4, 5, Fill.LEFT)])
    with pytest.raises(LayoutError, match="fields end at 2, not 3"):
        layout("Short", 3, [("a", 1, 2, Fill.LEFT)])
