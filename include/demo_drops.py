"""The files the demo district's vendors and the state leave on the local SFTP drop.

Made from the demo district itself (include/demo_district.py), so each file job finds work on
the first make run: PEER plan tables for its ESE students (and a few 504 plans and gifted
EPs), a Regions Bank and a card issuer's P-Card file charged by its staff, and a FLEID answer
for the two students the demo leaves without a usable FLEID. Formats are the jobs' (README).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import sqlalchemy as sa

ZEROS = "FL000000000000"


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _peer_files(conn: sa.Connection, today: dt.date) -> dict[str, bytes]:
    """The nine PEER tables: an IEP (with its LRE, a matrix service and two accommodations)
    for each ESE student with a FLEID, a 504 plan for every 40th other student, a gifted EP
    for every 45th."""
    with_fleid = f"s.fleid IS NOT NULL AND s.fleid LIKE 'FL%' AND s.fleid <> '{ZEROS}'"
    ese = conn.execute(
        sa.text(
            "SELECT DISTINCT s.student_id, s.fleid FROM students s JOIN ese_records e "
            f"ON e.student_id = s.student_id WHERE e.active = TRUE AND {with_fleid} "
            "ORDER BY s.student_id"
        )
    ).all()
    taken = {sid for sid, _ in ese}
    others = [
        (sid, fleid)
        for sid, fleid in conn.execute(
            sa.text(f"SELECT s.student_id, s.fleid FROM students s WHERE {with_fleid} "
                    "ORDER BY s.student_id")
        ).all()
        if sid not in taken
    ]  # fmt: skip
    plans_504, eps = others[::40], others[7::45]
    start = today - dt.timedelta(days=120)
    end = start + dt.timedelta(days=364)
    plan = ["peer_id", "fleid", "plan_date", "end_date"]
    accommodation = ["peer_id", "fleid", "plan_id", "accommodation"]
    ieps = [[f"IEP-{sid}", fleid, start, end] for sid, fleid in ese]
    return {
        "FL_PEER_ACTIVE_IEPS": _csv(plan, ieps),
        "FL_PEER_IEP_LRE": _csv(
            ["peer_id", "fleid", "plan_id", "lre_code"],
            [[f"LRE-{sid}", fleid, f"IEP-{sid}", "A" if sid % 2 else "B"] for sid, fleid in ese],
        ),
        "FL_PEER_MATRIX_SERVICES": _csv(
            ["peer_id", "fleid", "plan_id", "service", "matrix_level"],
            [
                [f"MS-{sid}", fleid, f"IEP-{sid}", "Language therapy", "251" if sid % 3 else "252"]
                for sid, fleid in ese
            ],
        ),
        "FL_PEER_ASSESSMENT_ACCOMMODATIONS": _csv(
            accommodation,
            [[f"AA-{sid}", fleid, f"IEP-{sid}", "Extended time"] for sid, fleid in ese],
        ),
        "FL_PEER_CLASSROOM_ACCOMMODATIONS": _csv(
            accommodation,
            [[f"CA-{sid}", fleid, f"IEP-{sid}", "Preferential seating"] for sid, fleid in ese],
        ),
        "FL_PEER_ACTIVE_504_PLANS": _csv(
            plan, [[f"504-{sid}", fleid, start, end] for sid, fleid in plans_504]
        ),
        "FL_PEER_504_ASSESSMENT_ACCOMMODATIONS": _csv(
            accommodation,
            [
                [f"5AA-{sid}", fleid, f"504-{sid}", "Small group setting"]
                for sid, fleid in plans_504
            ],
        ),
        "FL_PEER_504_CLASSROOM_ACCOMMODATIONS": _csv(
            accommodation,
            [[f"5CA-{sid}", fleid, f"504-{sid}", "Breaks as needed"] for sid, fleid in plans_504],
        ),
        "FL_PEER_ACTIVE_EPS": _csv(plan, [[f"EP-{sid}", fleid, start, end] for sid, fleid in eps]),
    }


MERCHANTS = ("Office Depot #1142", "Scholastic Book Fairs", "Tallahassee Lumber", "Publix #0712")


def _card_rows(conn: sa.Connection, today: dt.date, date_format: str, prefix: str) -> list[list]:
    """Four card transactions of the last week, each charged by one of the demo's staff."""
    staff = conn.execute(
        sa.text("SELECT first_name, last_name FROM staff ORDER BY staff_id LIMIT 4")
    ).all()
    rows = []
    for k, (first, last) in enumerate(staff):
        day = today - dt.timedelta(days=2 + k)
        amount = f"{[212.40, 89.99, 45.00, 310.00][k]:.2f}"
        rows.append(
            [
                f"{prefix}-{today:%Y%m%d}-{k + 1:03d}",
                f"{4821 + 1111 * k:04d}"[-4:],
                f"{first} {last}",
                day.strftime(date_format),
                MERCHANTS[k],
                amount,
            ]
        )
    return rows


def _fleid_answer(conn: sa.Connection) -> bytes:
    """The state's answer for the students without a usable FLEID (none, or all zeros)."""
    from job_library.jobs.florida._doe_layouts import FLEID_RESPONSE

    rows = conn.execute(
        sa.text(
            "SELECT student_id, last_name, birthdate FROM students "
            f"WHERE fleid IS NULL OR TRIM(fleid) = '' OR fleid = '{ZEROS}' ORDER BY student_id"
        )
    ).all()
    lines = []
    for sid, last, birth in rows:
        if isinstance(birth, str):  # SQLite hands dates back as text through a raw query
            birth = dt.date.fromisoformat(birth)
        record = {
            "record_type": "S",
            "local_id": sid,
            "last_name": (last or "")[:25],
            "birth_date": birth.strftime("%Y%m%d") if birth else "00000000",
            # FL9...: never one of the demo's own FLEIDs (FL + the student id).
            "fleid": f"FL9{sid:011d}",
        }
        lines.append(FLEID_RESPONSE.record(record) + "\r\n")
    return "".join(lines).encode("ascii")


def demo_drop_files(engine: sa.Engine, today: dt.date) -> dict[str, bytes]:
    """Path under the SFTP root -> content, for the demo district in ``engine``."""
    header = ["reference", "card_last4", "cardholder", "transaction_date", "merchant", "amount"]
    with engine.connect() as conn:
        files = {f"peer/{name}.csv": data for name, data in _peer_files(conn, today).items()}
        files[f"regions/regions_{today:%Y%m%d}.csv"] = _csv(
            header, _card_rows(conn, today, "%m/%d/%Y", "RB")
        )
        files[f"pcard/pcard_{today:%Y%m%d}.csv"] = _csv(
            header, _card_rows(conn, today, "%Y-%m-%d", "CI")
        )
        files[f"fleid/incoming/FLEID_K12_{today:%Y%m%d}.txt"] = _fleid_answer(conn)
    return files
