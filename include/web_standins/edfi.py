"""A local stand-in for an Ed-Fi ODS/API 5.0 (tests and make run; loopback only): OAuth2
client credentials, and resources whose every request and answer is validated against the
published OpenAPI (specs/edfi-ods-api-5.0-subset.yaml)."""

from __future__ import annotations

import base64
import json
import uuid
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from include.web_standins.loopback import Answer, LoopbackHttpServer, Request

if TYPE_CHECKING:
    from openapi_core import OpenAPI
    from openapi_core.testing import MockRequest

# openapi_core is imported on the first request: make run starts this stand-in in its
# long-lived process, and an Ed-Fi job may never call it.

SPEC = Path(__file__).parent / "specs" / "edfi-ods-api-5.0-subset.yaml"
BASE = "/data/v3"
CLIENT_ID, CLIENT_SECRET = "focus-district", "s3cret-of-the-district"


@cache
def openapi() -> OpenAPI:
    from openapi_core import OpenAPI

    return OpenAPI.from_file_path(str(SPEC))


def natural_key(resource: str, body: dict) -> str:
    if resource == "gradeLevelDescriptors":
        return f"{body['namespace']}#{body['codeValue']}"
    if resource == "schools":
        return str(body["schoolId"])
    if resource == "students":
        return body["studentUniqueId"]
    if resource in EXTRA_KEYS:
        return EXTRA_KEYS[resource](body)
    return (
        f"{body['studentReference']['studentUniqueId']}:{body['schoolReference']['schoolId']}:"
        f"{body['entryDate']}"
    )


def _session(ref: dict) -> str:
    return f"{ref['schoolId']}:{ref['schoolYear']}:{ref['sessionName']}"


def _offering(ref: dict) -> str:
    return f"{ref['localCourseCode']}:{_session(ref)}"


def _section(ref: dict) -> str:
    return f"{ref['sectionIdentifier']}:{_offering(ref)}"


# The Ed-Fi identity of the resources added for the district's courses, sections and staff.
EXTRA_KEYS = {
    "localEducationAgencies": lambda b: str(b["localEducationAgencyId"]),
    "sessions": lambda b: (
        f"{b['schoolReference']['schoolId']}:"
        f"{b['schoolYearTypeReference']['schoolYear']}:{b['sessionName']}"
    ),
    "courses": lambda b: (
        f"{b['educationOrganizationReference']['educationOrganizationId']}:{b['courseCode']}"
    ),
    "courseOfferings": lambda b: f"{b['localCourseCode']}:{_session(b['sessionReference'])}",
    "sections": lambda b: f"{b['sectionIdentifier']}:{_offering(b['courseOfferingReference'])}",
    "staffs": lambda b: b["staffUniqueId"],
    "staffEducationOrganizationAssignmentAssociations": lambda b: (
        f"{b['staffReference']['staffUniqueId']}:"
        f"{b['educationOrganizationReference']['educationOrganizationId']}:{b['beginDate']}"
    ),
    "staffSectionAssociations": lambda b: (
        f"{b['staffReference']['staffUniqueId']}:{_section(b['sectionReference'])}"
    ),
    "studentSectionAssociations": lambda b: (
        f"{b['studentReference']['studentUniqueId']}:{_section(b['sectionReference'])}:"
        f"{b['beginDate']}"
    ),
}


def _why(exc: Exception) -> str:
    """The schema's words for a refused request ("'birthDate' is a required property")."""
    errors = getattr(exc.__cause__, "schema_errors", None)
    return "; ".join(e.message for e in errors) if errors else str(exc)


class EdFiStandIn:
    """Keeps what it accepts in memory.

    :param root: the server's address when another server (make run's) routes to this
        one; None starts a server of its own on a free loopback port.
    """

    def __init__(self, root: str | None = None) -> None:
        self.tokens: set[str] = set()
        self.issued = 0
        self.stored: dict[str, dict[str, dict]] = {}
        self.posts: list[tuple[str, str]] = []  # (resource, natural key) of each POST seen
        self.schema_refusals: list[tuple[str, str]] = []  # (resource, error)
        self.invalid_answers: list[str] = []
        self.fail: dict[tuple[str, str], int] = {}  # (resource, key) -> 500s to answer
        self.revoke_after: int | None = None  # tokens die once this many records were accepted
        self.accepted: list[tuple[str, str]] = []  # (resource, key) of each record taken
        self.server = None if root else LoopbackHttpServer(self.answer).start()
        self.root = root or self.server.url

    @property
    def url(self) -> str:
        return self.root + BASE

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def answer(self, request: Request) -> Answer:
        if request.path == "/oauth/token" and request.method == "POST":
            return self._token(request)
        if not request.path.startswith(f"{BASE}/ed-fi/"):
            return Answer(404)
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return self._json(401, {"message": "Authorization has been denied for this request."})
        path = request.path[len(BASE) :]
        resource = path.split("/")[2]
        from openapi_core.testing import MockRequest

        mock = MockRequest(
            "http://127.0.0.1",
            request.method.lower(),
            path,
            args={k: v[0] for k, v in request.query.items()},
            headers={"Authorization": auth},
            data=request.body or None,
            content_type=request.headers.get("content-type", "application/json").split(";")[0],
        )
        if request.method == "POST":
            body = json.loads(request.body)
            key = natural_key(resource, body)
            self.posts.append((resource, key))
        try:
            openapi().validate_request(mock)
        except Exception as exc:  # the spec refuses the request: answer as Ed-Fi does
            detail = _why(exc)
            self.schema_refusals.append((resource, detail))
            return self._json(
                400,
                {"message": "The request is invalid.", "modelState": {"request": [detail]}},
                mock,
            )
        if request.method == "GET":
            return self._list(resource, request, mock)
        if self.fail.get((resource, key), 0) > 0:
            self.fail[(resource, key)] -= 1
            return Answer(500, b'{"message": "An unexpected problem has occurred."}')
        missing = self._missing_reference(resource, body)
        if missing:
            return self._json(
                409,
                {
                    "message": f"The value supplied for the related '{missing}' resource does not "
                    "exist."
                },
                mock,
            )
        table = self.stored.setdefault(resource, {})
        status = 200 if key in table else 201
        ident = table.get(key, {}).get("id") or uuid.uuid4().hex
        table[key] = {**body, "id": ident}
        self.accepted.append((resource, key))
        if len(self.accepted) == self.revoke_after:  # as if the token expired early on the server
            self.tokens.clear()
        answer = Answer(status, b"", {"Location": f"{self.url}/ed-fi/{resource}/{ident}"})
        self._check_answer(mock, answer)
        return answer

    def _missing_reference(self, resource: str, body: dict) -> str | None:
        missing = self._missing_extra_reference(resource, body)
        if missing:
            return missing
        descriptors = self.stored.get("gradeLevelDescriptors", {})
        if resource == "schools":
            for grade in body["gradeLevels"]:
                if grade["gradeLevelDescriptor"] not in descriptors:
                    return "gradeLevelDescriptor"
        if resource == "studentSchoolAssociations":
            if body["studentReference"]["studentUniqueId"] not in self.stored.get("students", {}):
                return "student"
            if str(body["schoolReference"]["schoolId"]) not in self.stored.get("schools", {}):
                return "school"
            if body["entryGradeLevelDescriptor"] not in descriptors:
                return "gradeLevelDescriptor"
        return None

    def _missing_extra_reference(self, resource: str, body: dict) -> str | None:
        """The references of the added resources the API checks (parents must exist)."""
        has = self.stored.get
        org_ids = set(has("schools", {})) | set(has("localEducationAgencies", {}))
        checks: list[tuple[str, bool]] = []
        if "localEducationAgencyReference" in body and resource == "schools":
            lea = str(body["localEducationAgencyReference"]["localEducationAgencyId"])
            checks.append(("localEducationAgency", lea in has("localEducationAgencies", {})))
        if resource in ("sessions", "courseOfferings"):
            school = str(body["schoolReference"]["schoolId"])
            checks.append(("school", school in has("schools", {})))
        if resource in ("courses", "staffEducationOrganizationAssignmentAssociations"):
            org = str(body["educationOrganizationReference"]["educationOrganizationId"])
            checks.append(("educationOrganization", org in org_ids))
        if resource == "courseOfferings":
            course = body["courseReference"]
            key = f"{course['educationOrganizationId']}:{course['courseCode']}"
            checks.append(("course", key in has("courses", {})))
            checks.append(("session", _session(body["sessionReference"]) in has("sessions", {})))
        if resource == "sections":
            offering = _offering(body["courseOfferingReference"])
            checks.append(("courseOffering", offering in has("courseOfferings", {})))
        if "staffReference" in body:
            staff = body["staffReference"]["staffUniqueId"]
            checks.append(("staff", staff in has("staffs", {})))
        if "sectionReference" in body:
            section = _section(body["sectionReference"])
            checks.append(("section", section in has("sections", {})))
        if resource == "studentSectionAssociations":
            student = body["studentReference"]["studentUniqueId"]
            checks.append(("student", student in has("students", {})))
        return next((name for name, present in checks if not present), None)

    def _list(self, resource: str, request: Request, mock: MockRequest) -> Answer:
        offset = int(request.query.get("offset", ["0"])[0])
        limit = int(request.query.get("limit", ["25"])[0])
        rows = list(self.stored.get(resource, {}).values())[offset : offset + limit]
        return self._json(200, rows, mock)

    def _token(self, request: Request) -> Answer:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        form = parse_qs(request.body.decode())
        if request.headers.get("authorization") != f"Basic {expected}":
            return self._json(401, {"error": "invalid_client"})
        if form.get("grant_type") != ["client_credentials"]:
            return self._json(400, {"error": "unsupported_grant_type"})
        self.issued += 1
        token = f"token-{self.issued}-{uuid.uuid4().hex[:8]}"
        self.tokens.add(token)
        return self._json(200, {"access_token": token, "expires_in": 1800, "token_type": "bearer"})

    def _json(self, status: int, body: object, mock: MockRequest | None = None) -> Answer:
        answer = Answer(status, json.dumps(body).encode(), {"Content-Type": "application/json"})
        if mock is not None:
            self._check_answer(mock, answer)
        return answer

    def _check_answer(self, mock: MockRequest, answer: Answer) -> None:
        from openapi_core.testing import MockResponse

        response = MockResponse(
            answer.body,
            answer.status,
            answer.headers,
            content_type=answer.headers.get("Content-Type", "application/json"),
        )
        try:
            openapi().validate_response(mock, response)
        except Exception as exc:
            self.invalid_answers.append(f"{mock.method} {mock.path} {answer.status}: {exc}")
