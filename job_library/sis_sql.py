"""Optional list filters in the SIS jobs' SQL text: an IN clause and its expanding parameter."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa


def in_list(column: str, name: str, values: Sequence | None) -> str:
    """An ``AND column IN :name`` filter, or nothing when ``values`` is None."""
    return f"AND {column} IN :{name}" if values is not None else ""


def bind_lists(clause: sa.TextClause, **lists: Sequence | None) -> sa.TextClause:
    """``clause`` with every given list bound as an expanding parameter."""
    for name, values in lists.items():
        if values is not None:
            clause = clause.bindparams(sa.bindparam(name, list(values), expanding=True))
    return clause
