"""Building a job's HTML output: escaped tables, so no value can inject markup."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence


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
