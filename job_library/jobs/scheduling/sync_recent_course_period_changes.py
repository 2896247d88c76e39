"""Sync Recent Course Period Changes: recently imported sections join their combined gradebook."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import DefaultSchedule

_ACTIONS = {
    (False, True): "added to the combined gradebook",
    (True, False): "taken out of a combined gradebook it no longer matches",
    (True, True): "moved to the combined gradebook it now matches",
}


class SyncRecentCoursePeriodChangesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(
        default=1,
        ge=1,
        le=365,
        title="Days back",
        description="Sections imported within this many days before the run are synced.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed sections listed")


class SyncRecentCoursePeriodChanges(Job):
    key = "sync_recent_course_period_changes"
    title = "Sync Recent Course Period Changes"
    description = (
        "Keeps gradebooks that a teacher combined by period in step with sections that a "
        "section import created or changed. The job names how many days back an import "
        "counts as recent. Rules: a section of the default school year whose import time "
        "(course_periods.imported_at) is within that many days before the run (the boundary "
        "itself included) belongs to the combined gradebook of its school year, school, "
        "teacher and period when the teacher has one (gradebook_period_groups). It is added "
        "to that gradebook; a section whose import gave it another teacher or period leaves "
        "the gradebook it was in, and joins the matching one if there is one. Sections "
        "imported earlier are left alone, as are gradebooks nobody combined. A recent section "
        "without a teacher cannot match a gradebook and is listed with that reason."
    )
    module = "SIS"
    default_schedule = DefaultSchedule(run_time="05:00")
    params_model = SyncRecentCoursePeriodChangesParams

    def run(self, context: JobContext, params: SyncRecentCoursePeriodChangesParams) -> JobResult:
        import sqlalchemy as sa

        from job_library.output import listed_result
        from job_library.schemas.scheduling import (
            course_periods,
            gradebook_group_sections,
            gradebook_period_groups,
        )
        from job_library.sis_sql import analyze, resolve_year_and_schools, scratch_table

        conn = context.connection
        resolved = resolve_year_and_schools(conn, None, [])
        if isinstance(resolved, str):
            return JobResult.message(False, resolved + " Nothing was synced.")
        syear, _ = resolved
        since = context.now().astimezone(dt.UTC) - dt.timedelta(days=params.days)

        cp, g, m = course_periods, gradebook_period_groups, gradebook_group_sections
        temp = scratch_table(
            conn,
            "tmp_recent_sections",
            [
                sa.Column("course_period_id", sa.Integer, primary_key=True),
                sa.Column("teacher_id", sa.Integer),
                sa.Column("old_group", sa.Integer),
                sa.Column("new_group", sa.Integer),
            ],
        )
        recent = (
            sa.select(cp.c.course_period_id, cp.c.teacher_id, m.c.group_id, g.c.group_id)
            .select_from(
                cp.outerjoin(m, m.c.course_period_id == cp.c.course_period_id).outerjoin(
                    g,
                    sa.and_(
                        g.c.syear == cp.c.syear,
                        g.c.school_id == cp.c.school_id,
                        g.c.teacher_id == cp.c.teacher_id,
                        g.c.period_id == cp.c.period_id,
                    ),
                )
            )
            .where(cp.c.syear == syear, cp.c.imported_at >= since)
        )
        conn.execute(
            sa.insert(temp).from_select(
                ["course_period_id", "teacher_id", "old_group", "new_group"], recent
            )
        )
        analyze(conn, temp)
        changed = temp.c.old_group.is_distinct_from(temp.c.new_group)
        checked = conn.execute(sa.select(sa.func.count()).select_from(temp)).scalar_one()
        total = conn.execute(
            sa.select(sa.func.count()).select_from(temp).where(changed)
        ).scalar_one()
        listed = (
            [
                tuple(r)
                for r in conn.execute(
                    sa.select(temp.c.course_period_id, temp.c.old_group, temp.c.new_group)
                    .where(changed)
                    .order_by(temp.c.course_period_id)
                    .limit(params.max_listed)
                )
            ]
            if params.max_listed
            else []
        )
        no_teacher = list(
            conn.execute(
                sa.select(temp.c.course_period_id)
                .where(temp.c.teacher_id.is_(None))
                .order_by(temp.c.course_period_id)
                .limit(params.max_listed)
            ).scalars()
        )
        no_teacher_total = conn.execute(
            sa.select(sa.func.count()).select_from(temp).where(temp.c.teacher_id.is_(None))
        ).scalar_one()
        leaving = sa.select(temp.c.course_period_id).where(changed, temp.c.old_group.is_not(None))
        removed = conn.execute(sa.delete(m).where(m.c.course_period_id.in_(leaving))).rowcount
        added = conn.execute(
            sa.insert(m).from_select(
                ["course_period_id", "group_id"],
                sa.select(temp.c.course_period_id, temp.c.new_group).where(
                    changed, temp.c.new_group.is_not(None)
                ),
            )
        ).rowcount
        temp.drop(conn)

        scope = f"school year {syear}, imported since {since:%Y-%m-%d %H:%M} UTC"
        if total == 0:
            summary = (
                f"Checked {checked} recently imported section(s) ({scope}); every one was "
                "already in the combined gradebook it matches, nothing changed."
            )
        else:
            summary = (
                f"Synced {total} of {checked} recently imported section(s) with the combined "
                f"gradebooks ({scope}): {added} added, {removed} taken out."
            )
        if no_teacher_total:
            summary += f" {no_teacher_total} section(s) have no teacher (listed)."
        lines = [summary]
        rows = []
        for section, old, new in listed:
            action = _ACTIONS[(old is not None, new is not None)]
            rows.append((section, old or "", new or "", action))
            lines.append(f"  section {section}: {action} (gradebook {old or '-'} -> {new or '-'})")
        for section in no_teacher:
            lines.append(
                f"  skipped: section {section}: no teacher, so no combined gradebook can match; "
                "give the section a teacher in the import."
            )
        if no_teacher_total > len(no_teacher):
            lines.append(
                f"  ... and {no_teacher_total - len(no_teacher)} more section(s) without a "
                f"teacher (listing capped at {params.max_listed})."
            )
        return listed_result(
            summary,
            lines,
            ("Section", "Old gradebook", "New gradebook", "Change"),
            rows,
            total=total,
            cap=params.max_listed,
            counts={
                "checked": checked,
                "synced": total,
                "added": added or 0,
                "removed": removed or 0,
                "no_teacher": no_teacher_total,
            },
        )
