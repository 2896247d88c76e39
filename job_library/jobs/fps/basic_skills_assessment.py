"""Basic Skills Assessment (FPS): each program record's Basic Skills Exam from TABE or CASAS."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.sis_params import SchoolYear
from job_library.site import AddOn


class BasicSkillsAssessmentParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    syear: SchoolYear = None
    schools: list[int] = Field(
        default_factory=list,
        title="Schools",
        description="Ids of the schools whose records are checked; leave empty for every school.",
        json_schema_extra={"x-focus-lookup": "schools"},
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed records listed")


class BasicSkillsAssessment(Job):
    key = "basic_skills_assessment"
    title = "Basic Skills Assessment"
    description = (
        "For postsecondary (FPS) programs: sets the Basic Skills Exam field of each schedule "
        "record, current and future, of the school year whose course belongs to a Florida "
        "program with basic skills minimums (Modify Programs: a minimum scale score and "
        "functional level per subject and test family). Which test counts comes from the "
        "student field basic_skills_test: TABE when empty (the default for everybody), or "
        "CASAS / CASAS GOALS once the district records it. A TABE student is measured on TABE"
        " reading, math and language; a CASAS student on CASAS math and reading (CAG, CAS, "
        "CLW tests and the CASAS Levels (CL) and CASAS Goals Form (CF) test types) and TABE "
        "language. The student's best score of each subject up to today counts. A subject is "
        "met when its best scale score reaches the minimum score; with the Check Level on "
        "Basic Skills Assessment preference on, a functional level reaching the minimum level"
        " meets it too. When a school's preference basic_skills_tabe_language_or_reading "
        "names reading or language, math and that one subject are enough. Result: a record "
        "already holding Y or one of the exemptions W, A-D, F, H keeps it; otherwise a "
        "student with a CJE standardized test gets exemption H, one meeting every required "
        "subject Y, one tested without meeting them N, and an untested record keeps its "
        "value. Scores that are not numbers and student field values other than TABE/CASAS "
        "are listed, not used."
    )
    module = "FPS"
    needs_state = "FL"
    needs_add_ons = frozenset({AddOn.FPS})
    params_model = BasicSkillsAssessmentParams

    def run(self, context: JobContext, params: BasicSkillsAssessmentParams) -> JobResult:
        from job_library.jobs.fps._basic_skills_work import run_basic_skills

        return run_basic_skills(
            context.connection,
            syear=params.syear,
            schools=params.schools,
            today=context.now().date(),
            cap=params.max_listed,
        )
