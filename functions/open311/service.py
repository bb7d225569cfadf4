"""Open311 GeoReport v2 over the procedure catalogue and cases. Plain Python over ports.

- services: one per catalogue procedure (service_code = procedure id); its attributes are the service definition;
- POST requests: a client with a valid api_key files a request; it becomes a web touchpoint stored in the same
  write as the case it opens, so the table's stream announces it (TouchpointRecorded) only once its case exists;
- GET requests: a public listing, so each request says only its status and dates, nothing about the person.

Every problem is an `Open311Error` (status and descriptions); the handler renders it in the format asked for.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

from pydantic import ValidationError

from functions.open311.models import (
    AttributeOut,
    AttributeValueOut,
    Open311Keys,
    RequestCreatedOut,
    RequestQuery,
    RequestStatus,
    ServiceDefinitionOut,
    ServiceOut,
    ServiceRequestForm,
    ServiceRequestOut,
)
from shared.cases.service import CaseService
from shared.cases.status import status_text
from shared.catalogue import Catalogue
from shared.exceptions import InvalidTransitionError
from shared.models.case import REFERENCE_PATTERN, Case
from shared.models.procedure import Attribute, Procedure
from shared.models.touchpoint import CaseRef, Channel, CitizenClaims, DetailValue, Touchpoint
from shared.repositories.cases import CaseRepository

AGENCY = "Ventanilla"
MAX_RESULTS = 1000
MAX_REQUEST_IDS = 100
DEFAULT_WINDOW = timedelta(days=90)
MAX_STRING_ATTRIBUTE = 500
MAX_TEXT_ATTRIBUTE = 4000

# The form fields of POST requests.{format}; any other field (but attribute[CODE]) is ignored, as the spec allows.
FORM_FIELDS = tuple(name for name in ServiceRequestForm.model_fields if name != "attributes")
# Copied to the touchpoint's details when given (the contact fields go to its citizen claims instead).
DETAIL_FIELDS = ("address_string", "address_id", "lat", "long", "media_url", "device_id", "account_id")
_ATTRIBUTE_FIELD = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")

KeyChecker = Callable[[str], str | None]
"""An api_key -> the name of the client it belongs to, or None when it is nobody's."""


class Open311Error(Exception):
    """A request the standard answers with an error list: one HTTP status, one or more descriptions."""

    def __init__(self, status: HTTPStatus, *descriptions: str) -> None:
        self.status = status
        self.descriptions = descriptions or (status.phrase,)
        super().__init__("; ".join(self.descriptions))


def _now() -> datetime:
    return datetime.now(UTC)


def _quoted(value: str, limit: int = 60) -> str:
    return f"'{value[:limit]}…'" if len(value) > limit else f"'{value}'"


def check_jurisdiction(jurisdiction_id: str | None, served: str | None) -> None:
    if jurisdiction_id and served is not None and jurisdiction_id != served:
        raise Open311Error(
            HTTPStatus.BAD_REQUEST, f"jurisdiction_id {_quoted(jurisdiction_id)} is not served here ('{served}' is)"
        )


def client_for_key(api_key: str, keys: Open311Keys) -> str | None:
    """The client whose key this is: its SHA-256 compared in constant time against every configured digest."""
    digest = hashlib.sha256(api_key.encode("utf-8")).hexdigest()
    found = None
    for entry in keys.keys:
        if hmac.compare_digest(digest, entry.sha256.lower()) and found is None:
            found = entry.client
    return found


def _procedure(catalogue: Catalogue, service_code: str, status: HTTPStatus) -> Procedure:
    procedure = catalogue.find(service_code)
    if procedure is None:
        raise Open311Error(status, f"service_code {_quoted(service_code)} is not a known service")
    return procedure


# -- services --------------------------------------------------------------------------------------------------


def list_services(
    catalogue: Catalogue, *, language: str, jurisdiction_id: str | None = None, served_jurisdiction: str | None = None
) -> list[ServiceOut]:
    check_jurisdiction(jurisdiction_id, served_jurisdiction)
    return [
        ServiceOut(
            service_code=procedure.id,
            service_name=procedure.name.in_language(language),
            description=procedure.description.in_language(language),
            metadata=bool(procedure.attributes),
            type="realtime",
            keywords=", ".join(procedure.keywords),
            group=procedure.group,
        )
        for procedure in catalogue
    ]


def _attribute_out(attribute: Attribute, order: int, language: str) -> AttributeOut:
    is_list = attribute.datatype.endswith("valuelist")
    return AttributeOut(
        code=attribute.code,
        datatype=attribute.datatype,
        required=attribute.required,
        order=order,
        description=attribute.description.in_language(language),
        values=tuple(AttributeValueOut(key=v.key, name=v.name.in_language(language)) for v in attribute.values)
        if is_list
        else None,
    )


def service_definition(
    catalogue: Catalogue,
    service_code: str,
    *,
    language: str,
    jurisdiction_id: str | None = None,
    served_jurisdiction: str | None = None,
) -> ServiceDefinitionOut:
    check_jurisdiction(jurisdiction_id, served_jurisdiction)
    procedure = _procedure(catalogue, service_code, HTTPStatus.NOT_FOUND)
    return ServiceDefinitionOut(
        service_code=procedure.id,
        attributes=tuple(_attribute_out(a, n, language) for n, a in enumerate(procedure.attributes, start=1)),
    )


# -- POST requests ---------------------------------------------------------------------------------------------


def _validation_messages(error: ValidationError) -> list[str]:
    messages = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem.get("loc", ()))
        message = str(problem.get("msg", "is not valid")).removeprefix("Value error, ")
        if problem.get("type") == "missing":
            messages.append(f"{field} is required")
        else:
            messages.append(f"{field}: {message}" if field else message)
    return messages


def _read_form(fields: Mapping[str, Sequence[str]]) -> tuple[dict[str, object], list[str]]:
    """The form's single-valued fields (blank ones dropped) and attribute[CODE] values, and what is wrong."""
    data: dict[str, object] = {}
    attributes: dict[str, list[str]] = {}
    problems: list[str] = []
    for name, values in fields.items():
        if name in FORM_FIELDS:
            if len(values) > 1:
                problems.append(f"{name} was given more than once")
            elif values and values[0].strip():
                data[name] = values[0].strip()
        elif match := _ATTRIBUTE_FIELD.match(name):
            attributes.setdefault(match[1], []).extend(v.strip() for v in values if v.strip())
        elif name.startswith("attribute["):
            problems.append(f"{_quoted(name)} is not an attribute field (attribute[CODE]=value)")
    data["attributes"] = {code: tuple(values) for code, values in attributes.items() if values}
    return data, problems


def _attribute_problem(attribute: Attribute, values: Sequence[str]) -> str | None:
    if attribute.datatype != "multivaluelist" and len(values) > 1:
        return "takes one value"
    if attribute.values:
        keys = [v.key for v in attribute.values]
        wrong = next((v for v in values if v not in keys), None)
        return None if wrong is None else f"{_quoted(wrong)} is not one of: {', '.join(keys)}"
    value = values[0]
    if attribute.datatype == "number":
        return None if _NUMBER.match(value) and math.isfinite(float(value)) else "must be a number"
    if attribute.datatype == "datetime":
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return "must be an ISO 8601 date and time, like 2026-03-02T15:04:05-06:00"
        return None
    limit = MAX_TEXT_ATTRIBUTE if attribute.datatype == "text" else MAX_STRING_ATTRIBUTE
    return f"must be at most {limit} characters" if len(value) > limit else None


def _attribute_details(procedure: Procedure, given: Mapping[str, Sequence[str]]) -> tuple[dict[str, str], list[str]]:
    known = {a.code for a in procedure.attributes}
    unknown = [code for code in given if code not in known]
    problems = [f"attribute[{_quoted(code)}] is not an attribute of {procedure.id}" for code in unknown]
    details: dict[str, str] = {}
    for attribute in procedure.attributes:
        values = tuple(dict.fromkeys(given.get(attribute.code, ())))
        if not values:
            if attribute.required:
                problems.append(f"attribute[{attribute.code}] is required for {procedure.id}")
            continue
        problem = _attribute_problem(attribute, values)
        if problem:
            problems.append(f"attribute[{attribute.code}] {problem}")
        else:
            details[f"attribute.{attribute.code}"] = ",".join(values)
    return details, problems


def _validated(
    fields: Mapping[str, Sequence[str]], catalogue: Catalogue, served_jurisdiction: str | None
) -> tuple[ServiceRequestForm, Procedure, dict[str, str]]:
    data, problems = _read_form(fields)
    try:
        form = ServiceRequestForm.model_validate(data)
    except ValidationError as error:
        raise Open311Error(HTTPStatus.BAD_REQUEST, *problems, *_validation_messages(error)) from None
    if problems:
        raise Open311Error(HTTPStatus.BAD_REQUEST, *problems)
    check_jurisdiction(form.jurisdiction_id, served_jurisdiction)
    procedure = _procedure(catalogue, form.service_code, HTTPStatus.BAD_REQUEST)
    if Channel.WEB not in procedure.steps[0].channels:
        raise Open311Error(HTTPStatus.BAD_REQUEST, f"{procedure.id} cannot be requested online")
    attributes, problems = _attribute_details(procedure, form.attributes)
    if problems:
        raise Open311Error(HTTPStatus.BAD_REQUEST, *problems)
    return form, procedure, attributes


def _touchpoint(
    form: ServiceRequestForm, client: str, attributes: Mapping[str, str], language: str, at: datetime
) -> Touchpoint:
    details: dict[str, DetailValue] = {"source": "open311", "client": client}
    for name in DETAIL_FIELDS:
        value = getattr(form, name)
        if value is not None:
            details[name] = value
    details.update(attributes)
    return Touchpoint(
        touchpoint_id=f"tp-{uuid.uuid4().hex}",
        channel=Channel.WEB,
        occurred_at=at,
        citizen=CitizenClaims(
            given_name=form.first_name, family_name=form.last_name, email=form.email, phone=form.phone
        ),
        case=CaseRef(procedure=form.service_code),
        text=form.description,
        language=language,
        details=details,
    )


def submit_request(
    fields: Mapping[str, Sequence[str]],
    *,
    language: str,
    catalogue: Catalogue,
    case_service: CaseService,
    check_key: KeyChecker,
    served_jurisdiction: str | None = None,
    clock: Callable[[], datetime] = _now,
    correlation_id: str | None = None,
) -> RequestCreatedOut:
    """File a service request: the api_key first (403), then every field (400), then the touchpoint and its case in
    one write (announced from the table's stream once both exist)."""
    keys = fields.get("api_key") or []
    client = check_key(keys[0]) if len(keys) == 1 and keys[0] else None
    if client is None:
        raise Open311Error(HTTPStatus.FORBIDDEN, "api_key is not valid")
    form, procedure, attributes = _validated(fields, catalogue, served_jurisdiction)
    touchpoint = _touchpoint(form, client, attributes, language, clock())
    try:
        case = case_service.open(
            procedure.id,
            citizen_id=None,
            channel=Channel.WEB,
            actor=f"open311:{client}",
            language=language,
            new_touchpoint=touchpoint,
            correlation_id=correlation_id,
        )
    except InvalidTransitionError as refused:
        raise Open311Error(HTTPStatus.BAD_REQUEST, str(refused)) from refused
    return RequestCreatedOut(service_request_id=case.reference, service_notice=status_text(case, procedure, language))


# -- GET requests ----------------------------------------------------------------------------------------------


def _request_out(case: Case, procedure: Procedure, language: str) -> ServiceRequestOut:
    return ServiceRequestOut(
        service_request_id=case.reference,
        status="open" if case.is_open else "closed",
        status_notes=status_text(case, procedure, language),
        service_name=procedure.name.in_language(language),
        service_code=procedure.id,
        agency_responsible=AGENCY,
        requested_datetime=case.opened_at,
        updated_datetime=case.updated_at,
    )


def _date(name: str, value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Open311Error(
            HTTPStatus.BAD_REQUEST, f"{name} must be a W3C date and time, like 2026-03-02T15:04:05-06:00"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _query(params: Mapping[str, str | None], catalogue: Catalogue, now: datetime) -> RequestQuery:
    ids = tuple(dict.fromkeys(i.strip() for i in (params.get("service_request_id") or "").split(",") if i.strip()))
    if len(ids) > MAX_REQUEST_IDS:
        raise Open311Error(HTTPStatus.BAD_REQUEST, f"at most {MAX_REQUEST_IDS} service_request_id values at once")
    if ids:  # the ids override every other argument
        return RequestQuery(service_request_ids=ids, start_date=now - DEFAULT_WINDOW, end_date=now)
    service_code = (params.get("service_code") or "").strip() or None
    if service_code:
        _procedure(catalogue, service_code, HTTPStatus.BAD_REQUEST)
    end = _date("end_date", params.get("end_date")) or now
    start = _date("start_date", params.get("start_date")) or end - DEFAULT_WINDOW
    wanted = [s.strip() for s in (params.get("status") or "").split(",") if s.strip()]
    unknown = [s for s in wanted if s not in ("open", "closed")]
    if unknown:
        raise Open311Error(HTTPStatus.BAD_REQUEST, f"status {_quoted(unknown[0])} is not open or closed")
    statuses: frozenset[RequestStatus] = frozenset(s for s in ("open", "closed") if s in wanted or not wanted)
    try:
        return RequestQuery(service_code=service_code, start_date=start, end_date=end, statuses=statuses)
    except ValidationError as error:
        raise Open311Error(HTTPStatus.BAD_REQUEST, *_validation_messages(error)) from None


def find_requests(
    params: Mapping[str, str | None],
    *,
    language: str,
    catalogue: Catalogue,
    cases: CaseRepository,
    served_jurisdiction: str | None = None,
    clock: Callable[[], datetime] = _now,
) -> list[ServiceRequestOut]:
    """By `service_request_id` (comma-separated; overrides every other argument), or by service, dates and
    status, newest first, at most 1000. One query per procedure on the procedure index, never a scan."""
    check_jurisdiction(params.get("jurisdiction_id"), served_jurisdiction)
    query = _query(params, catalogue, clock())
    if query.service_request_ids:
        found = []
        for reference in query.service_request_ids:
            case = cases.get(reference) if re.match(REFERENCE_PATTERN, reference) else None
            procedure = catalogue.find(case.procedure) if case else None
            if case and procedure:
                found.append(_request_out(case, procedure, language))
        return found
    procedures = [catalogue.get(query.service_code)] if query.service_code else list(catalogue)
    since, until = query.start_date.astimezone(UTC), query.end_date.astimezone(UTC)
    matched: list[tuple[Case, Procedure]] = []
    for procedure in procedures:
        for case in cases.of_procedure(procedure.id, since, until, MAX_RESULTS):
            if ("open" if case.is_open else "closed") in query.statuses:
                matched.append((case, procedure))
    matched.sort(key=lambda pair: (pair[0].opened_at, pair[0].reference), reverse=True)
    return [_request_out(case, procedure, language) for case, procedure in matched[:MAX_RESULTS]]


def get_request(
    reference: str,
    *,
    language: str,
    catalogue: Catalogue,
    cases: CaseRepository,
    jurisdiction_id: str | None = None,
    served_jurisdiction: str | None = None,
) -> list[ServiceRequestOut]:
    """One request, as a list of one (as the standard answers it)."""
    check_jurisdiction(jurisdiction_id, served_jurisdiction)
    case = cases.get(reference) if re.match(REFERENCE_PATTERN, reference) else None
    procedure = catalogue.find(case.procedure) if case else None
    if case is None or procedure is None:
        raise Open311Error(HTTPStatus.NOT_FOUND, f"service request {_quoted(reference)} not found")
    return [_request_out(case, procedure, language)]
