"""The billing jobs' output: the capped listing of what changed, then what needs a look."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from job_library.base import JobResult
from job_library.output import html_table, listed_result


def listed_with_checks(
    summary: str,
    lines: Sequence[str],
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    total: int,
    cap: int,
    counts: Mapping[str, int],
    checks: Sequence[tuple[str, str]],
    check_header: str = "Record",
) -> JobResult:
    """``listed_result`` followed by the records a person should look at (record, reason),
    capped the same way.

    :param checks: (record, why it needs a look), in a stable order.
    """
    listing = listed_result(summary, lines, headers, rows, total=total, cap=cap, counts=counts)
    if not checks:
        return listing
    shown = checks[:cap]
    text = [listing.text, f"{len(checks)} record(s) need a look:"]
    text += [f"  check: {record}: {reason}" for record, reason in shown]
    if len(checks) > len(shown):
        text.append(f"  ... and {len(checks) - len(shown)} more (listing capped at {cap}).")
    page = listing.html + html_table((check_header, "Needs a look"), shown)
    return JobResult(True, summary, "\n".join(text), page, dict(counts))
