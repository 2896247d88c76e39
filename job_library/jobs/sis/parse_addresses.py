"""Parse Addresses: student addresses split into the parts the Address Catalog is keyed by."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, field, replace

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result
from job_library.usps import directional, suffix

PAGE = 5_000  # addresses read, parsed and staged at a time: memory stays flat
_ZIP = re.compile(r"^(\d{5})(?:-?(\d{4}))?$")
_PARTS = (
    "house_number",
    "pre_direction",
    "street_name",
    "street_type",
    "post_direction",
    "unit",
    "zipcode",
)


@dataclass(frozen=True)
class ParsedStreet:
    """The parts of one address; ``error`` says why it cannot be zoned (parts may be None)."""

    house_number: int | None = None
    pre_direction: str | None = None
    street_name: str | None = None
    street_type: str | None = None
    post_direction: str | None = None
    unit: str | None = None
    zipcode: str | None = None
    error: str | None = None

    def street(self) -> tuple[str, str, str, str, str]:
        """(pre, name, type, post, 5-digit zip) with '' for a missing part: the catalog key."""
        return (
            self.pre_direction or "",
            self.street_name or "",
            self.street_type or "",
            self.post_direction or "",
            (self.zipcode or "")[:5],
        )

    def reading(self) -> str:
        """The address as parsed, in one line: ``123 N MAIN ST W APT 4 32301``."""
        parts = (self.house_number, *astuple(self)[1:7])
        return " ".join(str(p) for p in parts if p not in (None, ""))


def _upper(text: str | None) -> str | None:
    words = " ".join((text or "").replace(",", " ").split()).upper()
    return words or None


def _clip(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[: limit - 3] + "..."


def parse_street(address: str | None, address2: str | None, zipcode: str | None) -> ParsedStreet:
    """Parse one address as entered with usaddress; directions and street types become their
    USPS abbreviations, everything upper case. The zipcode field wins over a ZIP in the line."""
    import usaddress  # loaded on first use: the catalog is imported by every DAG parse

    line = " ".join((address or "").split())
    if not line:
        return ParsedStreet(error="no street address")
    try:
        tags, kind = usaddress.tag(line)
    except usaddress.RepeatedLabelError:
        return ParsedStreet(error=f"'{_clip(line)}' cannot be read as one street address")
    if kind == "PO Box":
        return ParsedStreet(error=f"'{_clip(line)}' is a PO box: it has no street to zone")
    if kind == "Intersection":
        return ParsedStreet(error=f"'{_clip(line)}' is an intersection, not a street address")
    number = tags.get("AddressNumber", "")
    digits = re.match(r"\d+", number)
    unit_line = " ".join(
        tags[label]
        for label in (
            "OccupancyType",
            "OccupancyIdentifier",
            "SubaddressType",
            "SubaddressIdentifier",
        )
        if label in tags
    )
    name = " ".join(
        tags[label]
        for label in ("StreetNamePreModifier", "StreetNamePreType", "StreetName")
        if label in tags
    )
    entered_zip = (zipcode or "").strip() or tags.get("ZipCode", "").strip()
    zip_match = _ZIP.match(entered_zip)
    zip_text = None
    if zip_match:
        zip_text = zip_match.group(1) + (f"-{zip_match.group(2)}" if zip_match.group(2) else "")

    def abbreviated(label: str, table) -> str | None:
        value = tags.get(label)
        return None if value is None else (table(value) or _upper(value))

    parsed = ParsedStreet(
        house_number=int(digits.group()) if digits and len(digits.group()) <= 6 else None,
        pre_direction=abbreviated("StreetNamePreDirectional", directional),
        street_name=_upper(name),
        street_type=abbreviated("StreetNamePostType", suffix),
        post_direction=abbreviated("StreetNamePostDirectional", directional),
        unit=(_upper(unit_line) or _upper(address2) or "")[:20] or None,
        zipcode=zip_text,
    )
    if digits is None:
        problem = f"no house number in '{_clip(line)}'"
    elif len(digits.group()) > 6:
        problem = f"house number '{_clip(number)}' is too long"
    elif not name:
        problem = f"no street name in '{_clip(line)}'"
    elif zip_text is None:
        problem = (
            f"zipcode '{_clip(entered_zip)}' is not a 5-digit ZIP code"
            if entered_zip
            else "no zipcode"
        )
    else:
        problem = None
    return replace(parsed, error=problem)


def _canonical(words: Iterable[str]) -> str:
    """Street words with every direction and suffix abbreviated: two spellings of a street
    (``NORTH RIVER RD`` and ``N RIVER ROAD``) have the same canonical form."""
    out = []
    for text in words:
        for w in text.split():
            out.append(directional(w) or suffix(w) or w.upper())
    return " ".join(out)


@dataclass
class CatalogStreets:
    """The distinct streets of the Address Catalog (every year), for reading an address
    the catalog's way."""

    exact: set[tuple[str, str, str, str, str]] = field(default_factory=set)
    by_words: dict[tuple[str, str], set[tuple]] = field(default_factory=dict)
    by_name: dict[tuple[str, str, str, str], set[tuple]] = field(default_factory=dict)

    def add(self, pre, name, kind, post, zipcode) -> None:
        words = (_upper(v) or "" for v in (pre, name, kind, post))
        street = (*words, (zipcode or "").strip()[:5])
        self.exact.add(street)
        self.by_words.setdefault((_canonical(street[:4]), street[4]), set()).add(street)
        self.by_name.setdefault((street[0], street[1], street[3], street[4]), set()).add(street)

    def fit(self, parsed: ParsedStreet) -> tuple[ParsedStreet, bool]:
        """``parsed`` read the catalog's way, and whether its street is in the catalog.

        The parse as it stands when the catalog has it; else the one catalog street of the
        same ZIP with the same words (directions and suffixes abbreviated), such as
        ``NORTH RIVER`` (a name) for a parsed direction N and name RIVER; else, for an address
        without a street type, the one catalog street of that name and ZIP."""
        if parsed.error is not None:
            return parsed, False
        street = parsed.street()
        if street in self.exact:
            return parsed, True
        candidates = self.by_words.get((_canonical(street[:4]), street[4]), set())
        if len(candidates) != 1 and not street[2]:
            candidates = self.by_name.get((street[0], street[1], street[3], street[4]), set())
        if len(candidates) != 1:
            return parsed, False
        pre, name, kind, post, _ = next(iter(candidates))
        fitted = {
            "pre_direction": pre or None,
            "street_name": name or None,
            "street_type": kind or None,
            "post_direction": post or None,
        }
        return replace(parsed, **fitted), True


def read_catalog(conn: sa.Connection) -> tuple[str, CatalogStreets]:
    """The Address Catalog in one pass: a fingerprint of every row (any row added, removed or
    edited changes it) and its distinct streets."""
    from job_library.schemas.addresses import address_catalog

    ac = address_catalog
    digest = hashlib.sha256()
    streets = CatalogStreets()
    query = sa.select(ac).order_by(ac.c.catalog_id).execution_options(yield_per=PAGE)
    for row in conn.execute(query):
        digest.update(repr(tuple(row)).encode())
        streets.add(
            row.pre_direction, row.street_name, row.street_type, row.post_direction, row.zipcode
        )
    return digest.hexdigest(), streets


class ParseAddressesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    years: list[int] = Field(
        default_factory=list,
        title="School years",
        description="Addresses of students with an enrollment record in these school years "
        "are parsed; leave empty for the district's default school year.",
    )
    parse_all: bool = Field(
        default=False,
        title="Parse every address again",
        description="Also parse addresses unchanged since their last parse (for instance "
        "after a parser upgrade).",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed addresses listed")


@dataclass(frozen=True)
class ParseRun:
    """What a run found and parsed, with the first changed addresses for the output."""

    years: list[int]
    considered: int
    parsed: int
    changed: int
    unreadable: int
    not_in_catalog: int
    listed: list[tuple]


class ParseAddresses(Job):
    key = "parse_addresses"
    title = "Parse Addresses"
    description = (
        "Splits each student address into its parts, each in a field of its own, so that it can be "
        "compared with the Address Catalog. Only the school years chosen on the job are parsed, "
        "and a parsed address is parsed again only after it or the catalog changes. Rules: the "
        "addresses parsed are those of students with an enrollment record in a selected year "
        "(the default school year when none is selected). The street line is parsed with "
        "usaddress (a maintained parser); directions and street types become their USPS "
        "abbreviations, the zipcode field wins over a ZIP in the line, and a second address "
        "line becomes the unit when the street line has none. The result is compared to the "
        "Address Catalog of every year: when the catalog has no such street but has exactly "
        "one street of the same ZIP spelled with the same words (e.g. the name NORTH RIVER for "
        "a direction N and name RIVER), or, for an address without a street type, exactly one "
        "street of that name and ZIP, the catalog's reading is kept. Addresses without a "
        "house number, street name or 5-digit ZIP, PO boxes and intersections are stored "
        "with the reason and cannot be zoned. An address is parsed again when its address, "
        "second line or zipcode changed, or when any catalog row was added, removed or "
        "edited since its last parse. Updates made from Student Demographics are not part of "
        "this job."
    )
    module = "SIS"
    params_model = ParseAddressesParams

    def run(self, context: JobContext, params: ParseAddressesParams) -> JobResult:
        conn = context.connection
        years = _resolve_years(conn, params.years)
        if isinstance(years, str):
            return JobResult.message(False, years + " Nothing was changed.")
        outcome = parse_addresses(
            conn,
            years=years,
            parse_all=params.parse_all,
            now=context.now(),
            max_listed=params.max_listed,
        )
        return _report(outcome, params.max_listed)


def _resolve_years(conn: sa.Connection, years: Sequence[int]) -> list[int] | str:
    from job_library.schemas.district import school_years

    sy = school_years
    if not years:
        default = conn.execute(sa.select(sy.c.syear).where(sy.c.is_default == sa.true())).scalar()
        if default is None:
            return (
                "school years: none selected and no default school year is set; select years "
                "on the job or mark one as the default."
            )
        return [default]
    wanted = sorted(set(years))
    known = set(conn.execute(sa.select(sy.c.syear).where(sy.c.syear.in_(wanted))).scalars())
    unknown = [y for y in wanted if y not in known]
    if unknown:
        return f"school years {unknown}: no such school year; add it under School Years."
    return wanted


def _source(a: sa.Table) -> sa.ColumnElement:
    """What an address is parsed from, as stored with its parse to see it change."""
    return (
        sa.func.coalesce(a.c.address, "")
        + "|"
        + sa.func.coalesce(a.c.address2, "")
        + "|"
        + sa.func.coalesce(a.c.zipcode, "")
    )


def parse_addresses(
    conn: sa.Connection,
    *,
    years: Sequence[int],
    parse_all: bool,
    now: dt.datetime,
    max_listed: int,
) -> ParseRun:
    """Parse the addresses of the students enrolled in ``years`` that are new, changed or
    were parsed against another catalog; stage the results, then replace their rows."""
    from job_library.schema import student_addresses
    from job_library.schemas.addresses import address_parsed
    from job_library.schemas.enrollment import student_enrollment
    from job_library.sis_sql import analyze, scratch_table

    a, p = student_addresses, address_parsed
    stamp, streets = read_catalog(conn)
    in_years = a.c.student_id.in_(
        sa.select(student_enrollment.c.student_id).where(student_enrollment.c.syear.in_(years))
    )
    considered = conn.execute(
        sa.select(sa.func.count()).select_from(a).where(in_years)
    ).scalar_one()
    due = sa.or_(
        p.c.address_id.is_(None),
        p.c.source.is_distinct_from(_source(a)),
        p.c.catalog_stamp.is_distinct_from(stamp),
    )
    stage = scratch_table(
        conn,
        "tmp_parsed_addresses",
        [
            sa.Column("address_id", sa.Integer, primary_key=True),
            *(sa.Column(c, p.c[c].type) for c in _PARTS),
            sa.Column("source", sa.Text),
            sa.Column("in_catalog", sa.Boolean, nullable=False),
            sa.Column("parse_error", sa.String(200)),
        ],
    )
    query = (
        sa.select(
            a.c.address_id,
            a.c.student_id,
            a.c.address,
            a.c.address2,
            a.c.zipcode,
            _source(a).label("source"),
            p.c.address_id.label("old_id"),
            *(p.c[c].label(f"old_{c}") for c in _PARTS),
            p.c.in_catalog.label("old_in_catalog"),
            p.c.parse_error.label("old_error"),
        )
        .join_from(a, p, p.c.address_id == a.c.address_id, isouter=True)
        .where(in_years, *(() if parse_all else (due,)))
        .order_by(a.c.address_id)
        .limit(PAGE)
    )
    parsed = changed = unreadable = not_in_catalog = 0
    listed: list[tuple] = []
    last = None
    while True:
        page = conn.execute(query if last is None else query.where(a.c.address_id > last)).all()
        if not page:
            break
        last = page[-1].address_id
        rows = []
        for r in page:
            result, found = streets.fit(parse_street(r.address, r.address2, r.zipcode))
            values = {c: getattr(result, c) for c in _PARTS}
            row = dict(
                address_id=r.address_id,
                source=r.source,
                in_catalog=found,
                parse_error=result.error,
                **values,
            )
            rows.append(row)
            parsed += 1
            unreadable += result.error is not None
            not_in_catalog += result.error is None and not found
            old = (
                None
                if r.old_id is None
                else (
                    *(getattr(r, f"old_{c}") for c in _PARTS),
                    bool(r.old_in_catalog),
                    r.old_error,
                )
            )
            if old != (*values.values(), found, result.error):
                changed += 1
                if len(listed) < max_listed:
                    entered = " ".join(
                        v.strip() for v in (r.address, r.address2, r.zipcode) if v and v.strip()
                    )
                    listed.append(
                        (
                            r.address_id,
                            r.student_id,
                            entered,
                            "new" if r.old_id is None else "changed",
                            result.reading(),
                            "yes" if found else "no",
                            result.error or "",
                        )
                    )
        conn.execute(sa.insert(stage), rows)
    if parsed:
        analyze(conn, stage)
        staged = sa.select(stage.c.address_id)
        conn.execute(sa.delete(p).where(p.c.address_id.in_(staged)))
        replace_rows(conn, stage, stamp, now)
    stage.drop(conn)
    return ParseRun(list(years), considered, parsed, changed, unreadable, not_in_catalog, listed)


def replace_rows(conn: sa.Connection, stage: sa.Table, stamp: str, now: dt.datetime) -> None:
    """Insert the staged parses (their old rows are already deleted)."""
    from job_library.schemas.addresses import address_parsed

    p = address_parsed
    columns = [*_PARTS, "source", "in_catalog", "parse_error"]
    conn.execute(
        sa.insert(p).from_select(
            ["address_id", *columns, "catalog_stamp", "parsed_at"],
            sa.select(
                stage.c.address_id,
                *(stage.c[c] for c in columns),
                sa.literal(stamp, sa.String(64)),
                sa.literal(now, sa.DateTime(timezone=True)),
            ),
        )
    )


def _report(run: ParseRun, cap: int) -> JobResult:
    years = ", ".join(str(y) for y in run.years)
    skipped = run.considered - run.parsed
    tally = (
        f"{run.considered} address(es) of students enrolled in {years}: {run.parsed} parsed, "
        f"{skipped} unchanged since their last parse against this Address Catalog"
    )
    if run.parsed == 0:
        summary = f"{tally}; nothing changed."
    else:
        summary = (
            f"{tally}. {run.changed} parse(s) new or changed; of those parsed, "
            f"{run.not_in_catalog} street(s) not in the Address Catalog and {run.unreadable} "
            "address(es) that cannot be parsed."
        )
    lines = [summary]
    for address_id, student, entered, state, reading, found, error in run.listed:
        note = f" ({error})" if error else ("" if found == "yes" else " (not in the catalog)")
        lines.append(
            f"  address {address_id}, student {student}: '{entered}' -> {reading or '-'} "
            f"[{state}]{note}"
        )
    return listed_result(
        summary,
        lines,
        ("Address", "Student", "As entered", "", "Parsed", "In catalog", "Problem"),
        run.listed,
        total=run.changed,
        cap=cap,
        counts={
            "considered": run.considered,
            "parsed": run.parsed,
            "changed": run.changed,
            "not_in_catalog": run.not_in_catalog,
            "unreadable": run.unreadable,
        },
    )
