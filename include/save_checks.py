"""What a save checks beyond one definition: the catalog, and the other jobs it must not touch."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from include.definitions import FieldError, JobDefinition, parse_definition, row_to_document
from job_library.registry import REGISTRY, get_job_class

IMPORT_CLASS = "scheduled_import"


def owned_connections() -> dict[str, str]:
    """Connection id -> title of the integration class that reads its files (from the catalog)."""
    owners: dict[str, list[str]] = {}
    for cls in REGISTRY.values():
        if cls.remote_connection is not None:
            owners.setdefault(cls.remote_connection, []).append(cls.title)
    return {conn: " / ".join(sorted(titles)) for conn, titles in owners.items()}


def _stored_definitions(rows: Iterable[Mapping[str, Any]]) -> dict[str, JobDefinition]:
    found = {}
    for raw in rows:
        try:
            d = parse_definition(row_to_document(raw))
        except Exception:  # an invalid stored row claims nothing
            continue
        found[d.id] = d
    return found


def save_errors(
    definitions: list[JobDefinition],
    stored_rows: Iterable[Mapping[str, Any]],
    *,
    allow_missing_class: bool,
    missing_class_hint: str,
) -> list[FieldError]:
    """Errors of saving ``definitions`` over the stored rows; empty when the save may go on.

    :param definitions: what is being saved (validated one by one already).
    :param stored_rows: every raw row of ``scheduled_jobs`` as it is now.
    :param allow_missing_class: keep a class that is not in the catalog.
    :param missing_class_hint: how the caller allows one (``--allow-missing-class``...).
    """
    stored = _stored_definitions(stored_rows)
    errors: list[FieldError] = []
    for d in definitions:
        before = stored.get(d.id)
        class_kept = before is not None and before.job_class == d.job_class
        if get_job_class(d.job_class) is None and not allow_missing_class and not class_kept:
            errors.append(
                FieldError(
                    d.id,
                    "class",
                    d.job_class,
                    "is not in the job catalog (focus-jobs catalog lists them); to save it "
                    f"anyway, as a Missing Class job, use {missing_class_hint}",
                )
            )
    errors += _import_conflicts(definitions, stored)
    return errors


def _import_conflicts(
    definitions: list[JobDefinition], stored: dict[str, JobDefinition]
) -> list[FieldError]:
    imports = [d for d in definitions if d.job_class == IMPORT_CLASS and d.active]
    if not imports:
        return []
    from job_library.jobs.integrations.scheduled_import import ImportTemplate, template_conflicts

    # After the save: the stored jobs, with the saved ones replacing theirs.
    after = stored | {d.id: d for d in definitions}
    templates = {}
    for job_id, d in after.items():
        if d.job_class == IMPORT_CLASS and d.active:
            try:
                templates[job_id] = ImportTemplate.model_validate(d.params)
            except ValueError:
                continue
    owned = owned_connections()
    errors = []
    for d in imports:
        template = templates.get(d.id)
        if template is None:
            continue
        others = [(job_id, t) for job_id, t in templates.items() if job_id != d.id]
        for field, value, message in template_conflicts(template, others, owned):
            errors.append(FieldError(d.id, f"params.{field}", value, message))
    return errors
