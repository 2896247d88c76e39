"""Address Corrections: USPS abbreviations and trimmed fields in student addresses."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import html_table
from job_library.usps import tables as _usps
from job_library.usps import word as _word

if TYPE_CHECKING:
    import pandas as pd

TEXT_FIELDS = ("address", "address2", "city", "state", "zipcode")


def _suffix(token: str) -> str | None:
    """The USPS abbreviation of a street suffix, in the case style of ``token``."""
    abbreviation = _usps()[2].get(_word(token))
    if abbreviation is None or abbreviation == _word(token):
        return None
    return abbreviation if token.isupper() else abbreviation.capitalize()


def _is_directional(token: str) -> bool:
    directionals, abbreviations, _ = _usps()
    return _word(token) in directionals or _word(token) in abbreviations


def _directional(token: str) -> str:
    return _usps()[0].get(_word(token), token)


def correct_street_line(line: str) -> str:
    """Abbreviate the pre-directional, suffix and post-directional of one street line.

    ``"123 North Main Street West"`` becomes ``"123 N Main St W"``. A word is only
    abbreviated in its position: ``"12 North Street"`` keeps ``North`` (it is the street's
    name) and ``"9 Court Street"`` keeps ``Court``. Positions are found the same way
    whether a word is spelled out or already abbreviated, so a second pass changes nothing.
    """
    stripped = line.strip()
    tokens = stripped.split()
    new = list(tokens)
    first = 1 if tokens and tokens[0][:1].isdigit() else 0
    last = len(tokens) - 1
    # Post-directional: the last word, after at least a name and one more word.
    if last - first >= 2 and _is_directional(tokens[last]):
        new[last] = _directional(tokens[last])
        last -= 1
    # Suffix: the last remaining word, after at least one name word.
    name_end = last + 1
    if last - first >= 1 and _word(tokens[last]) in _usps()[2]:
        new[last] = _suffix(tokens[last]) or tokens[last]
        name_end = last
    # Pre-directional: the first word after the number, before at least one name word.
    if name_end - first >= 2 and _is_directional(tokens[first]):
        new[first] = _directional(tokens[first])
    return stripped if new == tokens else " ".join(new)


def _corrected(frame: pd.DataFrame) -> pd.DataFrame:
    fixed = frame.copy()
    for field in TEXT_FIELDS:
        fixed[field] = frame[field].map(str.strip, na_action="ignore")
    fixed["address"] = fixed["address"].map(correct_street_line, na_action="ignore")
    return fixed.astype(object).where(fixed.notna(), None)


class AddressCorrections(Job):
    key = "address_corrections"
    title = "Address Corrections"
    description = (
        "Shortens the compass directions and street suffixes spelled out in student addresses to "
        "their standard abbreviations, and trims stray spaces from both ends of every address "
        "field. Worth scheduling only where Parse Addresses runs too. Abbreviations "
        "are those of USPS Publication 28; a word is abbreviated only where it stands as a "
        "direction or suffix, never when it is the street's own name."
    )
    module = "SIS"

    class Params(BaseModel):
        model_config = ConfigDict(extra="forbid")

        max_listed: int = Field(
            default=200,
            ge=0,
            le=10_000,
            title="Changed addresses listed in the output",
        )

    params_model = Params

    def run(self, context: JobContext, params: Params) -> JobResult:
        import pandas as pd  # loaded by a run, not by every DAG-file parse

        from job_library.schema import student_addresses

        conn = context.connection
        cols = [student_addresses.c.address_id, *(student_addresses.c[f] for f in TEXT_FIELDS)]
        before = pd.read_sql(sa.select(*cols).order_by(student_addresses.c.address_id), conn)
        before = before.astype(object).where(before.notna(), None)
        after = _corrected(before)
        same = (after[list(TEXT_FIELDS)] == before[list(TEXT_FIELDS)]) | (
            after[list(TEXT_FIELDS)].isna() & before[list(TEXT_FIELDS)].isna()
        )
        changed_mask = ~same.all(axis=1)
        changed = after[changed_mask]
        _write(conn, changed)
        return _report(before[changed_mask], changed, len(before), params.max_listed)


def _write(conn: sa.Connection, changed: pd.DataFrame) -> None:
    """Apply all corrections with one UPDATE ... FROM a temporary table."""
    from job_library.schema import student_addresses

    if changed.empty:
        return
    temp = sa.Table(
        "tmp_address_corrections",
        sa.MetaData(),
        sa.Column("address_id", sa.Integer, primary_key=True),
        *(sa.Column(f, sa.String(200)) for f in TEXT_FIELDS),
        prefixes=["TEMPORARY"],
    )
    temp.create(conn)
    try:
        records = changed.astype(object).where(changed.notna(), None).to_dict("records")
        conn.execute(sa.insert(temp), records)
        conn.execute(
            sa.update(student_addresses)
            .where(student_addresses.c.address_id == temp.c.address_id)
            .values({f: temp.c[f] for f in TEXT_FIELDS})
        )
    finally:
        temp.drop(conn)


def _report(before: pd.DataFrame, after: pd.DataFrame, checked: int, cap: int) -> JobResult:
    count = len(after)
    if count == 0:
        summary = f"Checked {checked} address(es); all were already corrected, nothing changed."
    else:
        summary = f"Corrected {count} of {checked} address(es)."
    lines = [summary]
    rows = []
    for (_, old), (_, new) in list(zip(before.iterrows(), after.iterrows(), strict=True))[:cap]:
        diffs = [(f, old[f], new[f]) for f in TEXT_FIELDS if old[f] != new[f]]
        lines.append(
            f"  #{new['address_id']}: " + "; ".join(f"{f} {o!r} -> {n!r}" for f, o, n in diffs)
        )
        rows.extend((new["address_id"], f, o, n) for f, o, n in diffs)
    if count > cap:
        lines.append(f"  ... and {count - cap} more (listing capped at {cap}).")
    table = html_table(("Address id", "Field", "Before", "After"), rows)
    more = f"<p>{count - cap} more not listed.</p>" if count > cap else ""
    return JobResult(
        success=True,
        summary=summary,
        text="\n".join(lines),
        html=f"<p>{html.escape(summary)}</p>{table}{more}",
        counts={"checked": checked, "corrected": count},
    )
