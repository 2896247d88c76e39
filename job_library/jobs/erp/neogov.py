"""NeoGov New Hires and NeoGov User Data (ERP): pipe-delimited employee files over SFTP."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from job_library.base import Job, JobContext, JobKind, JobResult, RemoteFileError, RemoteFiles
from job_library.file_drop import checksum, earlier_import, record_import, settled, survey
from job_library.output import html_table
from job_library.site import AddOn

FOLDER = "/neogov"
USERDATA = f"{FOLDER}/userdata"
DONE = f"{FOLDER}/done"
RETRIES_NAME = "neogov_retries.csv"
RETRIES = f"{USERDATA}/{RETRIES_NAME}"
NEW_HIRE_COLUMNS = ("ein", "ssn", "first_name", "last_name", "email", "hire_date")
USER_DATA_COLUMNS = ("ein", "username", "email")
_EIN = re.compile(r"[A-Za-z0-9-]{1,20}")
_SSN = re.compile(r"(\d{3})-?(\d{2})-?(\d{4})")
_LISTED = 200
# Room in the employees and users columns: a longer value refuses its record.
_MAX_LENGTH = {"first_name": 100, "last_name": 100, "email": 200, "username": 100}


class MalformedFile(ValueError):
    """A file that cannot be read as a whole: none of it is used and it stays where it is."""


@dataclass(frozen=True)
class Record:
    """One line of a NeoGov file."""

    source: str
    line: int
    values: dict[str, str]


@dataclass(frozen=True)
class NotApplied:
    source: str
    line: int
    ein: str
    reason: str


@dataclass
class Batch:
    """The files of one run: their records, and what happened to each file."""

    records: list[Record] = field(default_factory=list)
    imported: list[tuple[str, str, int]] = field(default_factory=list)  # path, sha256, rows
    already: list[str] = field(default_factory=list)  # imported by an earlier run
    # Records of files an earlier run imported but did not archive and remove (its copy to
    # done/ failed after the commit): archived by this run before the file goes.
    unarchived: list[Record] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (path, same as) this run
    problems: list[str] = field(default_factory=list)  # files left where they are
    waiting: list[str] = field(default_factory=list)  # still being written: next run

    def is_empty(self) -> bool:
        """Whether the run found nothing at all to report."""
        return not (
            self.imported or self.already or self.duplicates or self.problems or self.waiting
        )

    def records_from_files(self) -> list[Record]:
        """The records of the files imported now (not those of the retries file)."""
        files = {p for p, _, _ in self.imported}
        return [r for r in self.records if r.source in files]


def read_pipe_file(data: bytes, columns: tuple[str, ...], source: str) -> list[Record]:
    """The records of a pipe-delimited NeoGov file whose first line names ``columns``.

    Fields may be wrapped in double quotes; blank lines are skipped; spaces around fields are
    trimmed. Raises MalformedFile naming what makes the file unreadable.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedFile(
            f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="|", quotechar='"', strict=True)
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        if sorted(header) != sorted(columns):
            raise MalformedFile(
                f"the first line is {'|'.join(header) or '(empty)'!r}; it must be "
                f"{'|'.join(columns)}"
            )
        records = []
        for fields in reader:
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                raise MalformedFile(
                    f"line {reader.line_num} has {len(fields)} field(s), expected {len(header)}"
                )
            values = {h: f.strip() for h, f in zip(header, fields, strict=True)}
            records.append(Record(source, reader.line_num, values))
    except csv.Error as exc:
        raise MalformedFile(f"line {reader.line_num}: {exc}") from None
    return records


def write_pipe_file(columns: tuple[str, ...], records: Iterable[Record]) -> bytes:
    """A NeoGov file of ``records`` (quoted only where a field needs it)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter="|", quotechar='"', lineterminator="\n")
    writer.writerow(columns)
    for r in records:
        writer.writerow([r.values.get(c, "") for c in columns])
    return out.getvalue().encode()


def collect(
    context: JobContext, folder: str, columns: tuple[str, ...], exclude: str = RETRIES_NAME
) -> Batch:
    """Read every file in ``folder`` except ``exclude``, checking each against the ledger.

    Symbolic links, names that are not UTF-8 and files that cannot be read are reported
    and left alone; hidden and partial files are ignored; a file still being written waits
    for the next run; a file identical to another of this run is imported once.
    """
    remote = _remote(context)
    batch = Batch()
    drop = survey(remote, folder, "*", exclude=[exclude])
    batch.problems += drop.refused
    paths = [f"{folder}/{name}" for name in drop.files]
    ready, batch.waiting = settled(remote, paths)
    first_of: dict[str, str] = {}
    for path in ready:
        try:
            data = remote.read(path)
        except RemoteFileError as exc:
            batch.problems.append(f"{exc}; the file was left where it is for the next run.")
            continue
        sha = checksum(data)
        if sha in first_of:
            batch.duplicates.append((path, first_of[sha]))
            continue
        first_of[sha] = path
        earlier = earlier_import(context.connection, context.job_id, sha)
        try:
            records = read_pipe_file(data, columns, path)
        except MalformedFile as exc:
            if earlier is not None:  # imported before (an older reader took it): just remove it
                batch.already.append(path)
                continue
            batch.problems.append(
                f"{path} is malformed: {exc}. None of it was used and it was left where it is."
            )
            continue
        if earlier is not None:
            batch.already.append(path)
            batch.unarchived.extend(records)
            continue
        batch.records.extend(records)
        batch.imported.append((path, sha, len(records)))
    return batch


def _cannot_prepare(title: str, exc: RemoteFileError) -> JobResult:
    """The output of a run whose folders could not be made: nothing was read or changed."""
    return JobResult.message(
        False,
        f"{title} cannot prepare its folders: {exc}. Nothing was read or changed.",
        {"files": 0},
    )


def _remote(context: JobContext) -> RemoteFiles:
    if context.remote is None:
        raise RuntimeError("the NeoGov jobs need the SFTP connection 'neogov_sftp'")
    return context.remote


def finish(
    context: JobContext, batch: Batch, columns: tuple[str, ...], done_prefix: str
) -> str | None:
    """Ledger the imported files; after the commit copy their records to done/ and only then
    remove them (and the files an earlier run imported but could not archive or remove, and
    this run's duplicates). The done copy's path."""
    remote = _remote(context)
    for path, sha, rows in batch.imported:
        record_import(context.connection, context.job_id, path, sha, rows)
    done = None
    archived = batch.records_from_files() + batch.unarchived
    if archived:
        done = f"{DONE}/{done_prefix}_{context.now():%Y%m%d%H%M%S}.csv"
        copy = write_pipe_file(columns, archived)
        context.after_commit(lambda: remote.write(done, copy))
    gone = [p for p, _, _ in batch.imported] + batch.already + [p for p, _ in batch.duplicates]
    for path in gone:
        context.after_commit(lambda path=path: remote.remove(path))
    return done


def report(
    summary: str,
    batch: Batch,
    not_applied: list[NotApplied],
    counts: dict[str, int],
    done: str | None,
) -> JobResult:
    """The run's output: what changed, each file's fate and every record not applied."""
    lines = [summary]
    if done:
        lines.append(f"Records copied to {done}.")
    lines += [
        f"Already imported by an earlier run, archived and removed: {p}" for p in batch.already
    ]
    lines += [
        f"{p} is identical to {first} of this run: imported once, removed."
        for p, first in batch.duplicates
    ]
    lines += [
        f"{p} is still being written (its size or time keeps changing): left for the next run."
        for p in batch.waiting
    ]
    lines += batch.problems
    lines += [f"  {n.source} line {n.line}: EIN {n.ein!r}: {n.reason}" for n in not_applied]
    shown = not_applied[:_LISTED]
    table = html_table(
        ("File", "Line", "EIN", "Reason"), [(n.source, n.line, n.ein, n.reason) for n in shown]
    )
    more = (
        f"<p>{len(not_applied) - _LISTED} more not shown; the text output lists all.</p>"
        if len(not_applied) > _LISTED
        else ""
    )
    extra = "".join(f"<p>{html.escape(line)}</p>" for line in lines[1:] if not line[:2].isspace())
    return JobResult(
        success=not batch.problems,
        summary=summary,
        text="\n".join(lines),
        html=f"<p>{html.escape(summary)}</p>{extra}{table}{more}",
        counts=counts,
    )


# --- New Hires ---------------------------------------------------------------------------


def _new_hire_problem(values: dict[str, str]) -> str | None:
    if not _EIN.fullmatch(values["ein"]):
        return "the EIN must be 1 to 20 letters, digits or dashes"
    if not _SSN.fullmatch(values["ssn"]):
        return f"the SSN {values['ssn']!r} is not 9 digits (123-45-6789)"
    if not values["first_name"] or not values["last_name"]:
        return "first_name and last_name are required"
    for column in ("first_name", "last_name", "email"):
        if len(values[column]) > _MAX_LENGTH[column]:
            return f"the {column} is longer than {_MAX_LENGTH[column]} characters"
    if values["email"] and not _valid_email(values["email"]):
        return f"the email {values['email']!r} is not an e-mail address"
    if values["hire_date"] and _date(values["hire_date"]) is None:
        return f"the hire_date {values['hire_date']!r} is not a date (YYYY-MM-DD or MM/DD/YYYY)"
    return None


def _date(text: str) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    return None


def _valid_email(text: str) -> bool:
    from email_validator import EmailNotValidError, validate_email  # slow import: only here

    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _ssn(text: str) -> str:
    a, b, c = _SSN.fullmatch(text).groups()
    return f"{a}-{b}-{c}"


class NeoGovNewHires(Job):
    key = "neogov_new_hires"
    title = "NeoGov New Hires"
    description = (
        "Creates employees from NeoGov new-hire files (Human Resources > Employees). Every file "
        f"in the {FOLDER} folder is processed (all but {RETRIES_NAME}); the job waits for a "
        "file name with an extension (name.csv, name.txt). Fields are separated by a pipe and "
        "may be wrapped in double quotes; the first line must be "
        + "|".join(NEW_HIRE_COLUMNS)
        + ". An existing employee (same EIN or SSN) is never overwritten: such lines are "
        "listed, not imported. A malformed file is left where it is and none of it is used. "
        f"Processed records are copied to {DONE}/neogov_newhires_YYYYMMDDHHMMSS.csv and the "
        "files removed; a file identical to one already imported is never imported twice. "
        "Symbolic links and names that are not UTF-8 are reported and left alone; hidden, "
        "partial and still-changing files wait."
    )
    module = "ERP"
    needs_add_ons = frozenset({AddOn.ERP})
    kind = JobKind.INTEGRATION
    remote_connection = "neogov_sftp"
    # Any name with an extension: the userdata and done folders beside the files do not match.
    remote_wait = (FOLDER, "*.*")

    def run(self, context: JobContext, params: object) -> JobResult:
        from job_library.schema import employees

        remote = _remote(context)
        try:
            remote.makedirs(DONE)
        except RemoteFileError as exc:
            return _cannot_prepare(self.title, exc)
        batch = collect(context, FOLDER, NEW_HIRE_COLUMNS)
        if batch.is_empty():
            return JobResult.message(True, f"No files in {FOLDER}: nothing to do.", {"files": 0})
        rows, not_applied = self._validate(context.connection, batch.records)
        if rows:
            context.connection.execute(sa.insert(employees), rows)
        done = finish(context, batch, NEW_HIRE_COLUMNS, "neogov_newhires")
        summary = (
            f"Created {len(rows)} employee(s) from {len(batch.imported)} file(s); "
            f"{len(not_applied)} record(s) not imported."
        )
        counts = {
            "files": len(batch.imported),
            "created": len(rows),
            "not_imported": len(not_applied),
            "malformed_files": len(batch.problems),
        }
        return report(summary, batch, not_applied, counts, done)

    @staticmethod
    def _validate(
        conn: sa.Connection, records: list[Record]
    ) -> tuple[list[dict], list[NotApplied]]:
        """The employees to create and the records refused, with the reason."""
        from job_library.schema import employees

        eins = {r.values["ein"] for r in records}
        ssns = {_ssn(r.values["ssn"]) for r in records if _SSN.fullmatch(r.values["ssn"])}
        taken_eins = set(
            conn.execute(sa.select(employees.c.ein).where(employees.c.ein.in_(eins))).scalars()
        )
        taken_ssns = set(
            conn.execute(sa.select(employees.c.ssn).where(employees.c.ssn.in_(ssns))).scalars()
        )
        rows, refused = [], []
        for r in records:
            v = r.values
            problem = _new_hire_problem(v)
            if problem is None and v["ein"] in taken_eins:
                problem = "an employee with this EIN exists; it is never overwritten"
            if problem is None and _ssn(v["ssn"]) in taken_ssns:
                problem = "an employee with this SSN exists; it is never overwritten"
            if problem is not None:
                refused.append(NotApplied(r.source, r.line, v["ein"], problem))
                continue
            taken_eins.add(v["ein"])  # a second line for the same person is refused too
            taken_ssns.add(_ssn(v["ssn"]))
            rows.append(
                {
                    "ein": v["ein"],
                    "ssn": _ssn(v["ssn"]),
                    "first_name": v["first_name"],
                    "last_name": v["last_name"],
                    "email": v["email"] or None,
                    "hire_date": _date(v["hire_date"]) if v["hire_date"] else None,
                }
            )
        return rows, refused


# --- User Data ---------------------------------------------------------------------------


class NeoGovUserData(Job):
    key = "neogov_user_data"
    title = "NeoGov User Data"
    description = (
        f"Updates user accounts from NeoGov user-data files in {USERDATA} (created by the "
        "first run). The first line must be ein|username|email; fields are separated by a "
        "pipe and may be wrapped in double quotes. It only updates: an empty field never "
        "clears a value and no user is ever created. Every file in the folder is processed "
        f"except {RETRIES_NAME}. A line whose EIN matches no employee yet goes to "
        f"{RETRIES_NAME} and is retried by every run until it succeeds, then removed from it. "
        "An employee without a user account, a username another user has or a bad e-mail "
        "address is listed and not retried. Processed records are copied to "
        f"{DONE}/neogov_userdata_YYYYMMDDHHMMSS.csv and the files removed. Symbolic links and "
        "names that are not UTF-8 are reported and left alone."
    )
    module = "ERP"
    needs_add_ons = frozenset({AddOn.ERP})
    kind = JobKind.INTEGRATION
    remote_connection = "neogov_sftp"
    remote_wait = (USERDATA, "*")

    def run(self, context: JobContext, params: object) -> JobResult:
        from job_library.schema import users

        remote = _remote(context)
        try:
            created = remote.makedirs(USERDATA)
            remote.makedirs(DONE)
        except RemoteFileError as exc:
            return _cannot_prepare(self.title, exc)
        batch = collect(context, USERDATA, USER_DATA_COLUMNS)
        retries: list[Record] = []
        if remote.exists(RETRIES):
            try:
                retries = read_pipe_file(remote.read(RETRIES), USER_DATA_COLUMNS, RETRIES)
            except MalformedFile as exc:
                # Its records cannot be kept safely, so nothing runs until it is mended.
                summary = (
                    f"{RETRIES} is malformed: {exc}. Nothing was updated and every file was "
                    f"left where it is: mend or delete {RETRIES_NAME}."
                )
                return JobResult.message(False, summary, {"files": 0, "malformed_files": 1})
        if batch.is_empty() and not retries:
            summary = f"No files in {USERDATA}: nothing to do."
            if created:
                summary += f" Created the folder {USERDATA}."
            return JobResult.message(True, summary, {"files": 0})
        conn = context.connection
        merged = _merge(retries + batch.records)  # retries first: a newer file line wins
        updates, deferred, not_applied, unchanged = _plan(conn, merged)
        if updates:
            conn.execute(
                sa.update(users)
                .where(users.c.user_id == sa.bindparam("b_user_id"))
                .values(username=sa.bindparam("b_username"), email=sa.bindparam("b_email")),
                updates,
            )
        resolved = len({r.values["ein"] for r in retries} - {r.values["ein"] for r in deferred})
        if retries or deferred:
            # Before the commit: a superset, so a rollback loses no record waiting for a retry.
            keep = _merge(retries + deferred) if retries else deferred
            remote.write(RETRIES, write_pipe_file(USER_DATA_COLUMNS, keep))
            if deferred:
                final = write_pipe_file(USER_DATA_COLUMNS, deferred)
                context.after_commit(lambda: remote.write(RETRIES, final))
            else:
                context.after_commit(lambda: remote.remove(RETRIES))
        done = finish(context, batch, USER_DATA_COLUMNS, "neogov_userdata")
        summary = (
            f"Updated {len(updates)} user(s) from {len(batch.imported)} file(s) and "
            f"{len(retries)} retried record(s); {unchanged} already up to date; "
            f"{len(deferred)} deferred to {RETRIES_NAME}; {len(not_applied)} not applied."
        )
        if not (updates or batch.imported):
            summary = "Nothing changed: " + summary[0].lower() + summary[1:]
        counts = {
            "files": len(batch.imported),
            "updated": len(updates),
            "unchanged": unchanged,
            "deferred": len(deferred),
            "retries_resolved": resolved,
            "not_applied": len(not_applied),
            "malformed_files": len(batch.problems),
        }
        waiting = f"no employee has this EIN yet; kept in {RETRIES_NAME} for the next run"
        not_applied += [NotApplied(r.source, r.line, r.values["ein"], waiting) for r in deferred]
        return report(summary, batch, not_applied, counts, done)


def _merge(records: list[Record]) -> list[Record]:
    """One record per EIN: a later line's non-empty values replace an earlier one's."""
    by_ein: dict[str, Record] = {}
    for r in records:
        earlier = by_ein.get(r.values["ein"])
        if earlier is None:
            by_ein[r.values["ein"]] = r
        else:
            values = {k: (v or earlier.values.get(k, "")) for k, v in r.values.items()}
            by_ein[r.values["ein"]] = Record(r.source, r.line, values)
    return list(by_ein.values())


def _plan(
    conn: sa.Connection, merged: list[Record]
) -> tuple[list[dict], list[Record], list[NotApplied], int]:
    """The user updates to make, the records to retry, those refused, how many unchanged."""
    from job_library.schema import employees, users

    eins = [r.values["ein"] for r in merged]
    known = set(conn.execute(sa.select(employees.c.ein).where(employees.c.ein.in_(eins))).scalars())
    accounts = {
        row.ein: row
        for row in conn.execute(
            sa.select(users.c.user_id, users.c.ein, users.c.username, users.c.email).where(
                users.c.ein.in_(eins)
            )
        )
    }
    wanted = [r.values["username"] for r in merged if r.values["username"]]
    holders = dict(
        conn.execute(
            sa.select(users.c.username, users.c.ein).where(users.c.username.in_(wanted))
        ).all()
    )
    claimed: dict[str, str] = {}
    updates, deferred, refused, unchanged = [], [], [], 0
    for r in merged:
        ein, username, email = r.values["ein"], r.values["username"], r.values["email"]
        if not ein:
            refused.append(NotApplied(r.source, r.line, ein, "the EIN is empty"))
            continue
        if ein not in known:
            deferred.append(r)
            continue
        account = accounts.get(ein)
        if account is None:
            reason = "the employee has no user account; user data never creates users"
            refused.append(NotApplied(r.source, r.line, ein, reason))
            continue
        if (username and holders.get(username, ein) != ein) or claimed.get(username, ein) != ein:
            reason = f"the username {username!r} belongs to another user"
            refused.append(NotApplied(r.source, r.line, ein, reason))
            continue
        too_long = [c for c in ("username", "email") if len(r.values[c]) > _MAX_LENGTH[c]]
        if too_long:
            reason = f"the {too_long[0]} is longer than {_MAX_LENGTH[too_long[0]]} characters"
            refused.append(NotApplied(r.source, r.line, ein, reason))
            continue
        if email and not _valid_email(email):
            reason = f"the email {email!r} is not an e-mail address"
            refused.append(NotApplied(r.source, r.line, ein, reason))
            continue
        if username:
            claimed[username] = ein
        new_username = username or account.username
        new_email = email or account.email
        if (new_username, new_email) == (account.username, account.email):
            unchanged += 1
            continue
        updates.append(
            {"b_user_id": account.user_id, "b_username": new_username, "b_email": new_email}
        )
    return updates, deferred, refused, unchanged
