"""Building a job's HTML output: escaped tables, so no value can inject markup."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence

from job_library.base import JobResult


def html_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """An HTML table of ``rows`` under ``headers``, every cell escaped; empty when no rows.

    :param headers: the column titles.
    :param rows: one sequence of cell values per row (``None`` shows as an empty cell).
    """
    body = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row)
        + "</tr>"
        for row in rows
    )
    if not body:
        return ""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    return f"<table><tr>{head}</tr>{body}</table>"


def listed_result(
    summary: str,
    lines: Sequence[str],
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    total: int,
    cap: int,
    counts: Mapping[str, int],
) -> JobResult:
    """A successful result listing the first ``cap`` of ``total`` changed records.

    :param lines: the text output (the summary first, then one line per listed record).
    :param rows: the same records as table rows for the HTML output.
    Both outputs say how many records were left out.
    """
    more = total - len(rows)
    text = list(lines)
    if more > 0:
        text.append(f"  ... and {more} more (listing capped at {cap}).")
    tail = f"<p>{more} more not listed.</p>" if more > 0 else ""
    return JobResult(
        success=True,
        summary=summary,
        text="\n".join(text),
        html=f"<p>{html.escape(summary)}</p>{html_table(headers, rows)}{tail}",
        counts=dict(counts),
    )
