"""Fixed-width record layouts: declared field by field, checked once, filled byte for byte."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Fill(StrEnum):
    """How a field is padded, named as the Florida DOE layouts name field characteristics."""

    LEFT = "A/N"  # left-justified, padded with spaces on the right
    NUMERIC = "N/R"  # digits only, right-justified with leading zeros
    RIGHT = "A/N/R"  # right-justified with leading zeros, letters allowed
    FILLER = "filler"  # always spaces


class LayoutError(ValueError):
    """A value that does not fit its field; the message names the layout, field and value."""


@dataclass(frozen=True)
class Field:
    """One field: its name, first and last position (1-based, inclusive) and its fill."""

    name: str
    start: int
    end: int
    fill: Fill = Fill.LEFT

    @property
    def width(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True)
class Layout:
    """A record layout: fields that cover positions 1..size with no gap and no overlap.

    :param name: the layout's name, for error messages.
    :param size: the record length in characters.
    :param fields: the fields in position order.
    """

    name: str
    size: int
    fields: tuple[Field, ...]

    def __post_init__(self) -> None:
        position = 1
        for f in self.fields:
            if f.start != position or f.end < f.start:
                raise LayoutError(
                    f"layout {self.name}: field {f.name} is at {f.start}-{f.end}, expected it "
                    f"to start at {position}"
                )
            position = f.end + 1
        if position != self.size + 1:
            raise LayoutError(f"layout {self.name}: fields end at {position - 1}, not {self.size}")

    def record(self, values: Mapping[str, object]) -> str:
        """The record of ``values`` (a missing or None value is blank; zeros for N/R).

        :raises LayoutError: naming the field and value when a value is too long, or not
            digits in a numeric field, or not printable ASCII.
        """
        parts = []
        for f in self.fields:
            if f.fill is Fill.FILLER:
                parts.append(" " * f.width)
                continue
            raw = values.get(f.name)
            text = "" if raw is None else str(raw).strip()
            if not (text.isascii() and text.isprintable()):
                raise LayoutError(
                    f"layout {self.name}: field {f.name} ({f.start}-{f.end}): {text!r} is not "
                    "printable ASCII"
                )
            if len(text) > f.width:
                raise LayoutError(
                    f"layout {self.name}: field {f.name} ({f.start}-{f.end}) holds {f.width} "
                    f"character(s); {text!r} is longer"
                )
            if f.fill is Fill.NUMERIC and text and not text.isdigit():
                raise LayoutError(
                    f"layout {self.name}: field {f.name} ({f.start}-{f.end}) is numeric; "
                    f"{text!r} is not digits"
                )
            if f.fill is Fill.LEFT:
                parts.append(text.ljust(f.width))
            elif text or f.fill is Fill.NUMERIC:
                parts.append(text.rjust(f.width, "0"))
            else:
                parts.append(" " * f.width)
        return "".join(parts)

    def parse(self, line: str) -> dict[str, str]:
        """The fields of one record (fillers left out), stripped of padding spaces.

        :raises LayoutError: when the line is not exactly ``size`` characters long.
        """
        line = line.rstrip("\r\n")
        if len(line) != self.size:
            raise LayoutError(
                f"layout {self.name}: the record is {len(line)} characters long, expected "
                f"{self.size}"
            )
        return {
            f.name: line[f.start - 1 : f.end].strip()
            for f in self.fields
            if f.fill is not Fill.FILLER
        }


def layout(name: str, size: int, fields: Sequence[tuple[str, int, int, Fill]]) -> Layout:
    """A Layout from (name, start, end, fill) rows, as the DOE's tables list them."""
    return Layout(name, size, tuple(Field(*row) for row in fields))
