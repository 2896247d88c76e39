"""An ASGI app that imports the real one on its first request.

Every Airflow component loads every module of the plugins folder (the dag-processor does so
whenever it serialises a DAG with our timetable, a worker when it needs the plugins): a plugin
that imports the Jobs screen at load time makes each of them pay for FastAPI and the whole
screen. Mounted as a plugin's ``fastapi_apps`` entry, this stands in for the screen until the
api-server hands it its first request.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any


class DeferredApp:
    """Imports ``module:attribute`` (an ASGI app) on first use and forwards every call to it.

    :param target: where the real app is, e.g. ``"include.jobs_api:app"``.
    """

    def __init__(self, target: str) -> None:
        module, _, attribute = target.partition(":")
        if not module or not attribute:
            raise ValueError(f"target {target!r} must be 'module:attribute'")
        self.target = target
        self._app: Any = None
        self._lock = threading.Lock()

    def load(self) -> Any:
        """The real app, imported now if it was not yet."""
        if self._app is None:
            with self._lock:
                if self._app is None:
                    module, _, attribute = self.target.partition(":")
                    self._app = getattr(importlib.import_module(module), attribute)
        return self._app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.load()(scope, receive, send)

    def __repr__(self) -> str:
        state = "loaded" if self._app is not None else "not loaded yet"
        return f"DeferredApp({self.target!r}, {state})"
