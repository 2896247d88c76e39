"""The demo district's schools and the records make run's web-API stand-ins serve.

Kept apart from include/demo_district.py (which imports the job library and every table
definition): make run's long-lived process starts the stand-ins and imports only this.
"""

from __future__ import annotations

from decimal import Decimal

GRADES = ("KG", *(f"{g:02d}" for g in range(1, 13)), "AD")
# (id, title, short name, state number, grades, adult ed)
SCHOOLS = (
    (1, "Oak Ridge Elementary", "OAK", "0021", GRADES[0:6], False),
    (2, "Pine Hills Elementary", "PINE", "0031", GRADES[0:6], False),
    (3, "Cedar Park Elementary", "CEDAR", "0041", GRADES[0:6], False),
    (4, "Maple Middle", "MAPLE", "0401", GRADES[6:9], False),
    (5, "Birch Middle", "BIRCH", "0411", GRADES[6:9], False),
    (6, "Cypress High", "CYPRESS", "0801", GRADES[9:13], False),
    (7, "Palmetto High", "PALMETTO", "0811", GRADES[9:13], False),
    (8, "Sabal Adult Education Center", "SABAL", "9001", ("AD",), True),
)


DEMO_PAYMENTS = 12


def demo_card_payments() -> list[tuple[str, str, Decimal]]:
    """(Authorize.net transaction id, source, amount) of each demo online payment: the rows of
    drawer_payments, and what make run's Authorize.net stand-in reports settled."""
    return [
        (
            str(60000001 + i),
            "portal" if i % 3 else "store",
            Decimal("5.00") + (i % 4) * Decimal("2.50"),
        )
        for i in range(DEMO_PAYMENTS)
    ]


def demo_informacast_scenarios() -> list[str]:
    """The scenario ids make run's InformaCast stand-in holds: a lockdown and a request-assistance
    scenario for every demo school (the demo chooses all but the last school's assistance one)."""
    return [f"{kind}-{sid}" for sid, *_ in SCHOOLS for kind in ("lockdown", "assist")]
