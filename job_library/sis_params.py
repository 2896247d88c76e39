"""Parameter types the SIS jobs share, so that their forms read the same."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

# The school year a job runs for; None: the district's default school year.
SchoolYear = Annotated[
    int | None,
    Field(
        ge=1900,
        le=2999,
        title="School year",
        description="Leave empty for the district's default school year.",
    ),
]
