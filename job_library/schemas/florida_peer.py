"""Florida PEER (the state's ESE plan system): the nine tables the peer imports replace.

Every table has PEER's record id as its key and the Focus student it belongs to; the other
columns are listed in PEER_COLUMNS (name -> "date" or "text"), which the import jobs read too.
"""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata

_PLAN = {"plan_date": "date", "end_date": "date"}
_ACCOMMODATION = {"plan_id": "text", "accommodation": "text"}

# PEER's export name -> (the Focus table, its columns beyond peer_id and the student).
PEER_COLUMNS: dict[str, tuple[str, dict[str, str]]] = {
    "FL_PEER_ACTIVE_EPS": ("fl_peer_active_eps", _PLAN),
    "FL_PEER_ACTIVE_IEPS": ("fl_peer_active_ieps", _PLAN),
    "FL_PEER_ACTIVE_504_PLANS": ("fl_peer_active_504_plans", _PLAN),
    "FL_PEER_ASSESSMENT_ACCOMMODATIONS": ("fl_peer_assessment_accommodations", _ACCOMMODATION),
    "FL_PEER_CLASSROOM_ACCOMMODATIONS": ("fl_peer_classroom_accommodations", _ACCOMMODATION),
    "FL_PEER_IEP_LRE": ("fl_peer_iep_lre", {"plan_id": "text", "lre_code": "text"}),
    "FL_PEER_MATRIX_SERVICES": (
        "fl_peer_matrix_services",
        {"plan_id": "text", "service": "text", "matrix_level": "text"},
    ),
    "FL_PEER_504_ASSESSMENT_ACCOMMODATIONS": (
        "fl_peer_504_assessment_accommodations",
        _ACCOMMODATION,
    ),
    "FL_PEER_504_CLASSROOM_ACCOMMODATIONS": (
        "fl_peer_504_classroom_accommodations",
        _ACCOMMODATION,
    ),
}
TEXT_LENGTH = 100


def _table(name: str, columns: dict[str, str]) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("peer_id", sa.String(40), primary_key=True),
        sa.Column("student_id", sa.Integer, sa.ForeignKey("students.student_id"), nullable=False),
        *(
            sa.Column(c, sa.Date if kind == "date" else sa.String(TEXT_LENGTH), nullable=False)
            for c, kind in columns.items()
        ),
    )


PEER_TABLES: dict[str, sa.Table] = {
    export: _table(table, columns) for export, (table, columns) in PEER_COLUMNS.items()
}
