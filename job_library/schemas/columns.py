"""The two column shapes most SIS tables share: a serial key and an integer foreign key."""

from __future__ import annotations

import sqlalchemy as sa


def id_column(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer, primary_key=True, autoincrement=True)


def fk_column(name: str, target: str, *, nullable: bool = True, **kw) -> sa.Column:
    return sa.Column(name, sa.Integer, sa.ForeignKey(target), nullable=nullable, **kw)
