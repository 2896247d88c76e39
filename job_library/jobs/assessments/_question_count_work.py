"""The work of Import Assessment Question Count: each item bank's number of standards-tagged
questions per standard, from the item banks' count files."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.base import JobContext, JobResult
from job_library.jobs.assessments._file_imports import Applied, BadRow, import_drop
from job_library.sis_sql import differs_sql, scratch_table

FOLDER = "/assessments/item_banks"
COLUMNS = ("item_bank", "standard", "question_count")
BANKS = ("focus", "certica")


def run_question_count(context: JobContext, cap: int) -> JobResult:
    conn = context.connection
    now = context.now()
    stamp = sa.bindparam("now", type_=sa.DateTime(timezone=True))

    def apply(path: str, rows: list[tuple[int, dict[str, str]]]) -> Applied:
        good, bad, seen = [], [], set()
        for line, r in rows:
            bank, standard, count = r["item_bank"].lower(), r["standard"], r["question_count"]
            if bank not in BANKS:
                reason = f"item_bank {r['item_bank']!r} is not one of {', '.join(BANKS)}"
            elif not standard or len(standard) > 40:
                reason = "standard is empty or longer than 40 characters"
            elif not (count.isdigit() and len(count) <= 9):
                reason = f"question_count {count!r} is not a whole number of 0 or more"
            elif (bank, standard) in seen:
                reason = f"standard {standard} of {bank} appears again (the first row was kept)"
            else:
                reason = None
            if reason is not None:
                bad.append(BadRow(path, line, reason))
                continue
            seen.add((bank, standard))
            good.append(dict(item_bank=bank, standard=standard, question_count=int(count)))
        staged = scratch_table(
            conn,
            "tmp_question_counts",
            [
                sa.Column("item_bank", sa.String(20), primary_key=True),
                sa.Column("standard", sa.String(40), primary_key=True),
                sa.Column("question_count", sa.Integer, nullable=False),
            ],
        )
        if good:
            conn.execute(sa.insert(staged), good)
        s = staged.name
        key = "c.item_bank = s.item_bank AND c.standard = s.standard"
        # A file is the whole list of each bank it names: standards it leaves out are gone.
        changed_sql = (
            "SELECT s.item_bank, s.standard, c.question_count AS was, s.question_count AS now "
            f"FROM {s} s LEFT JOIN item_bank_question_counts c ON {key} WHERE "
            + differs_sql(conn, "s.question_count", "c.question_count")
            + " UNION ALL SELECT c.item_bank, c.standard, c.question_count, NULL "
            "FROM item_bank_question_counts c WHERE c.item_bank IN "
            f"(SELECT item_bank FROM {s}) AND NOT EXISTS (SELECT 1 FROM {s} s "
            f"WHERE {key})"
        )
        changed_total = conn.execute(
            sa.text(f"SELECT COUNT(*) FROM ({changed_sql}) x")
        ).scalar_one()
        changes = (
            [
                tuple(r)
                for r in conn.execute(sa.text(f"{changed_sql} ORDER BY 1, 2 LIMIT {int(cap)}"))
            ]
            if changed_total and cap
            else []
        )
        conn.execute(
            sa.text(
                "DELETE FROM item_bank_question_counts WHERE item_bank IN "
                f"(SELECT item_bank FROM {s}) AND NOT EXISTS (SELECT 1 FROM {s} s WHERE "
                "s.item_bank = item_bank_question_counts.item_bank AND "
                "s.standard = item_bank_question_counts.standard)"
            )
        )
        conn.execute(
            sa.text(
                "UPDATE item_bank_question_counts SET question_count = (SELECT s.question_count "
                f"FROM {s} s WHERE s.item_bank = item_bank_question_counts.item_bank AND "
                "s.standard = item_bank_question_counts.standard), updated_at = :now "
                f"WHERE EXISTS (SELECT 1 FROM {s} s WHERE "
                "s.item_bank = item_bank_question_counts.item_bank AND "
                "s.standard = item_bank_question_counts.standard AND "
                "s.question_count <> item_bank_question_counts.question_count)"
            ).bindparams(stamp),
            {"now": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO item_bank_question_counts (item_bank, standard, question_count, "
                f"updated_at) SELECT s.item_bank, s.standard, s.question_count, :now FROM {s} s "
                "WHERE NOT EXISTS (SELECT 1 FROM item_bank_question_counts c WHERE "
                f"{key})"
            ).bindparams(stamp),
            {"now": now},
        )
        staged.drop(conn)
        return Applied(
            rows=len(rows),
            counts={"counts_changed": changed_total},
            changes=changes,
            changes_total=changed_total,
            bad=bad,
        )

    return import_drop(
        context,
        title="Import Assessment Question Count",
        folder=FOLDER,
        columns=COLUMNS,
        apply=apply,
        headers=("Item bank", "Standard", "Questions before", "Questions now"),
        cap=cap,
    )
