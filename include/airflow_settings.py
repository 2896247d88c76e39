"""Apply airflow_settings.yaml (connections, pools, variables) to Airflow's metadata database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml


def _entries(section: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = section.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError(f"airflow_settings: 'airflow.{name}' must be a list of mappings")
    return value


def apply_settings_file(path: Path) -> list[str]:
    """Create or update every connection, pool and variable the file names.

    The format is the one Astronomer's CLI uses, so the same file serves both.

    :param path: the YAML file.
    :returns: one line per applied item.
    """
    from airflow.models import Connection, Pool, Variable
    from airflow.utils.session import create_session
    from sqlalchemy import select

    document = yaml.safe_load(path.read_text()) or {}
    section = document.get("airflow") or {}
    done: list[str] = []
    with create_session() as session:
        for pool in _entries(section, "pools"):
            Pool.create_or_update_pool(
                name=pool["pool_name"],
                slots=int(pool["pool_slot"]),
                description=pool.get("pool_description", ""),
                include_deferred=bool(pool.get("include_deferred", False)),
                session=session,
            )
            done.append(f"pool {pool['pool_name']}: {pool['pool_slot']} slots")
        for item in _entries(section, "connections"):
            conn_id = item["conn_id"]
            existing = session.scalar(select(Connection).where(Connection.conn_id == conn_id))
            if existing is not None:
                session.delete(existing)
                session.flush()
            extra = item.get("conn_extra")
            session.add(
                Connection(
                    conn_id=conn_id,
                    conn_type=item["conn_type"],
                    host=item.get("conn_host"),
                    login=item.get("conn_login"),
                    password=item.get("conn_password"),
                    schema=item.get("conn_schema"),
                    port=item.get("conn_port"),
                    extra=json.dumps(extra) if isinstance(extra, dict) else extra,
                )
            )
            done.append(f"connection {conn_id} ({item['conn_type']})")
        for var in _entries(section, "variables"):
            Variable.set(var["variable_name"], str(var["variable_value"]), session=session)
            done.append(f"variable {var['variable_name']}")
    return done
