"""The SIS tests' database: the shared ``engine`` fixture, emptied of SIS rows afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from job_library.schema import student_addresses
from job_library.schemas import SIS_TABLES


@pytest.fixture
def db(engine: sa.Engine) -> Iterator[sa.Engine]:
    """A migrated, empty Focus database; SIS rows are removed before the shared teardown,
    which does not know the SIS tables."""
    yield engine
    with engine.begin() as conn:
        for table in reversed(SIS_TABLES):
            conn.execute(table.delete())
        conn.execute(student_addresses.delete())
