"""Assign LCPs (FPS): adult functional levels and LCPs from the last six months of tests."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.sis_params import SchoolYear
from job_library.site import AddOn


class AssignLcpsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    syear: SchoolYear = None
    schools: list[int] = Field(
        default_factory=list,
        title="Schools",
        description="Ids of the schools whose records are placed; leave empty for every school.",
        json_schema_extra={"x-focus-lookup": "schools"},
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed records listed")


LCP_RULES = (
    "Records: schedule records of the school year in courses of a Florida program whose cost "
    "code is 400-499 (adult general education). A record with Exclude From LCP Job checked is "
    "never touched. Tests: those whose short name begins with CAG, CAS, CLW or TAB (CAG for "
    "CASAS GOALS, CAS and CLW for CASAS Life and Work, TAB for TABE), part subjects READING, "
    "MATH or LANGUAGE, scale score (SS) a whole number. Each score gets the level of the "
    "program's band in the Appendix R table (fl_aefl_levels, seeded from "
    "job_library/data/fl_adult_ed_levels.toml); where bands overlap the one starting highest "
    "wins, so CASAS reading 236+ (Life and Work) or 228+ (GOALS) gives level 8 in program "
    "9900040 and G in 9900050, and a program with CASAS bands (such as 9900130, or a GED Prep "
    "program read with CAG reading) uses them like TABE ones. Per record and subject the first "
    "test is the pre-test (initial level), the next three are post-tests 1-3, and the latest "
    "gives the final level; the subject area is the one with the lowest initial level. LCPs are "
    "the letters of the levels passed between the initial and the final level. Tests with the "
    "FLTESTID score type get their ids first (as Florida Test ID Assignment does), and the "
    "Pre-Test and Post-Test IDs are those ids; each test used gets its level as its AEFL score. "
    "Scores that are not numbers, or fall in no band, are listed and skipped."
)


class AssignLcps(Job):
    key = "assign_lcps"
    title = "Assign LCPs"
    description = (
        "Sets adult education students' functional levels, literacy completion points and "
        "pre/post-test ids on their active schedule records from the CASAS and TABE tests of "
        "the six months up to the run day (a test exactly six months old counts, one a day "
        "older or dated after today does not). It refuses a school year that has ended. "
        + LCP_RULES
    )
    module = "FPS"
    needs_state = "FL"
    needs_add_ons = frozenset({AddOn.FPS})
    params_model = AssignLcpsParams

    def run(self, context: JobContext, params: AssignLcpsParams) -> JobResult:
        from job_library.jobs.fps._lcp_work import run_lcps

        today = context.now().date()
        return run_lcps(
            context.connection,
            title=self.title,
            syear=params.syear,
            schools=params.schools,
            today=today,
            as_of=today,
            range_from=None,
            range_to=None,
            cap=params.max_listed,
        )
