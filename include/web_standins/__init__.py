"""Local stand-ins for the web APIs the integration jobs call: Ed-Fi ODS/API, Blackboard Learn,
Authorize.net's transaction reporting, InformaCast Fusion, and an iCalendar feed.

The tests run each on a free loopback port; ``make run`` runs all five behind one server on
loopback (127.0.0.1 only, never a public address), one path prefix per provider, holding data
that matches the demo district (include/demo_district.py), so the web-API jobs do real work
on a laptop and nothing leaves the machine. Each answers as its provider's published contract
says (specs/); a district points the Airflow connections at the real services instead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from include.config import PROJECT_ROOT
from include.web_standins.loopback import Answer, LoopbackHttpServer, Request

# The Airflow connections make run points at the stand-ins (airflow_settings.yaml): all on
# one host and port, so one value there moves them all.
CONNECTIONS = ("edfi_api", "authorize_net", "blackboard_learn", "informacast")
# The demo's settlement: every afternoon at the district's authorize_net_settlement_time.
DEMO_BATCH = "7001"
DEMO_ZONE = ZoneInfo("America/New_York")
DEMO_SETTLES = dt.time(16, 30)


def demo_settled_batches(as_of: dt.datetime):
    """The demo's one settled batch (every demo card payment), settled at the latest
    16:30 New York time not after ``as_of``: so a cashout after the settlement time always
    finds it, and a batch already read is recognised by its id."""
    from include.demo_web import demo_card_payments
    from include.web_standins.authorize_net import SettledBatch

    local = as_of.astimezone(DEMO_ZONE)
    settled = dt.datetime.combine(local.date(), DEMO_SETTLES, tzinfo=DEMO_ZONE)
    if settled > local:
        settled -= dt.timedelta(days=1)
    return [
        SettledBatch(
            DEMO_BATCH,
            settled,
            transactions=[
                (t, "settledSuccessfully", f"{a:.2f}") for t, _, a in demo_card_payments()
            ],
        )
    ]


class WebStandIns:
    """The five stand-ins behind one loopback HTTP server on ``host:port``; ``stop()`` it.

    Paths: /edfi (Ed-Fi: /edfi/oauth/token, /edfi/data/v3/...), /blackboard (/learn/api/...),
    /authorize-net (/xml/v1/request.api), /informacast (/api/v1/scenarios) and
    /ics/calendar.ics. A taken port raises OSError.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, keep: bool = False) -> None:
        from include.demo_web import demo_informacast_scenarios
        from include.web_standins.authorize_net import AuthorizeNetStandIn
        from include.web_standins.blackboard import BlackboardStandIn
        from include.web_standins.edfi import EdFiStandIn
        from include.web_standins.ics_feed import IcsFeed, demo_feed
        from include.web_standins.informacast import InformaCastStandIn

        self.server = LoopbackHttpServer(self._route, host, port, keep=keep)
        root = self.server.url
        self.edfi = EdFiStandIn(root=f"{root}/edfi")
        self.blackboard = BlackboardStandIn(root=f"{root}/blackboard")
        self.authorize_net = AuthorizeNetStandIn(demo_settled_batches, root=f"{root}/authorize-net")
        self.informacast = InformaCastStandIn(
            demo_informacast_scenarios(), root=f"{root}/informacast"
        )
        self.ics = IcsFeed(lambda: demo_feed(dt.date.today()), root=f"{root}/ics")
        self._routes = {
            "/edfi": self.edfi,
            "/blackboard": self.blackboard,
            "/authorize-net": self.authorize_net,
            "/informacast": self.informacast,
            "/ics": self.ics,
        }
        self.server.start()

    @property
    def port(self) -> int:
        return int(self.server._server.server_address[1])

    @property
    def ics_url(self) -> str:
        return self.ics.url

    def _route(self, request: Request) -> Answer:
        prefix = "/" + request.path.split("/")[1]
        provider = self._routes.get(prefix)
        if provider is None:
            return Answer(404)
        return provider.answer(dataclasses.replace(request, path=request.path[len(prefix) :]))

    def stop(self) -> None:
        self.server.stop()


def standins_address(
    settings_file: Path = PROJECT_ROOT / "airflow_settings.yaml",
) -> tuple[str, int]:
    """Host and port of the stand-ins: those of make run's four web-API connections, which
    must agree (ValueError naming the one that does not)."""
    from include.mail_catcher import settings_connection

    seen: dict[tuple[str, int], str] = {}
    for conn_id in CONNECTIONS:
        conn = settings_connection(conn_id, settings_file)
        host = str(conn.get("conn_host") or "127.0.0.1")
        seen.setdefault((host, int(conn.get("conn_port") or 80)), conn_id)
    if len(seen) > 1:
        where = ", ".join(f"{c} {h}:{p}" for (h, p), c in seen.items())
        raise ValueError(
            f"{settings_file}: the web-API stand-ins serve one address, but {where}: give "
            "the four connections one conn_host and conn_port"
        )
    return next(iter(seen))


def start_web_standins(host: str, port: int) -> WebStandIns:
    """Start the stand-ins on ``host:port``; raises OSError when the port is taken."""
    return WebStandIns(host, port)


@dataclasses.dataclass
class LocalStandIns:
    """What make run started (None when the port was taken) and the line it prints."""

    standins: WebStandIns | None
    line: str

    def stop(self) -> None:
        if self.standins is not None:
            self.standins.stop()


def start_local_standins(
    settings_file: Path = PROJECT_ROOT / "airflow_settings.yaml",
) -> LocalStandIns:
    """make run's stand-ins, where its web-API connections point; a taken port (another make
    run, or a real server) is said, and the jobs use whatever answers there."""
    host, port = standins_address(settings_file)
    try:
        standins = start_web_standins(host, port)
    except OSError as exc:
        return LocalStandIns(
            None, f"  no web-API stand-ins: {host}:{port} is taken ({exc.strerror})"
        )
    return LocalStandIns(
        standins,
        f"  Ed-Fi, Blackboard, Authorize.net and InformaCast (edfi_api, blackboard_learn, "
        f"authorize_net, informacast) are local stand-ins on {host}:{port}; ICS feed "
        f"{standins.ics_url}",
    )
