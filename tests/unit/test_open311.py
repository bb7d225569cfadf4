"""Open311 GeoReport v2: what a standard client sees on the wire, in JSON and in XML.

Handler tests drive `lambda_handler` with API Gateway REST proxy events over in-memory fakes (a real CaseService
and the shipped catalogue); no AWS call is made: the case service factory and the secret read are replaced.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from functions.open311 import handler, wire
from functions.open311.service import Open311Error, submit_request
from shared.cases.service import CaseService
from shared.cases.status import status_text
from shared.catalogue import Catalogue, get_catalogue
from shared.config import get_open311_settings
from shared.exceptions import ConflictError
from shared.models.events import CaseOpened
from shared.models.procedure import Attribute, AttributeValue, CaseStatus, Text
from shared.models.touchpoint import Channel
from shared.observability import metrics
from tests.fakes import FakeCaseRepository, FakePublisher, FakeTouchpointRepository

pytestmark = pytest.mark.unit

API_KEY = "k3y-of-the-civic-app"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:open311-keys"
JURISDICTION = "cdmx.gob.mx"
REFERENCE = re.compile(r"^[A-Z]{3}-\d{4}-\d{6}$")
W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")
PUBLIC_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "requested_datetime",
    "updated_datetime",
    "agency_responsible",
}


@dataclass
class World:
    touchpoints: FakeTouchpointRepository
    cases: FakeCaseRepository
    publisher: FakePublisher
    service: CaseService

    @classmethod
    def build(cls, catalogue: Catalogue | None = None) -> World:
        touchpoints = FakeTouchpointRepository()
        cases = FakeCaseRepository(touchpoints=touchpoints)
        publisher = FakePublisher()
        service = CaseService(
            cases=cases, touchpoints=touchpoints, catalogue=catalogue or get_catalogue(), publisher=publisher
        )
        return cls(touchpoints, cases, publisher, service)

    def nothing_happened(self) -> bool:
        return not self.touchpoints.items and not self.cases.cases and not self.publisher.published


@dataclass
class FakeContext:
    function_name: str = "ventanilla-open311"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:ventanilla-open311"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The function wired to fakes: settings from the environment, one client key in the (fake) secret."""
    for name, value in {
        "POWERTOOLS_SERVICE_NAME": "ventanilla-open311",
        "TABLE_NAME": "ventanilla-test",
        "EVENT_BUS_NAME": "ventanilla-bus",
        "OPEN311_KEYS_SECRET_ARN": SECRET_ARN,
        "OPEN311_JURISDICTION_ID": JURISDICTION,
    }.items():
        monkeypatch.setenv(name, value)
    get_open311_settings.cache_clear()
    handler._key_checker.cache_clear()
    built = World.build()
    monkeypatch.setattr(handler, "_case_service", lambda: built.service)
    secret = {"keys": [{"client": "other-app", "sha256": "0" * 64}, {"client": "civic-app", "sha256": _sha(API_KEY)}]}

    def get_secret(name: str, transform: str | None = None, max_age: int | None = None) -> dict[str, Any]:
        assert (name, transform, max_age) == (SECRET_ARN, "json", 300)
        return secret

    monkeypatch.setattr(handler.parameters, "get_secret", get_secret)
    monkeypatch.setattr(metrics, "namespace", "VentanillaTest")
    yield built
    get_open311_settings.cache_clear()
    handler._key_checker.cache_clear()


def _sha(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_event(
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    body: str | None = None,
    headers: dict[str, str] | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    """An API Gateway REST proxy event for one of the function's paths."""
    resource = path
    path_parameters = None
    for prefix, name in (("/open311/v2/services/", "service_file"), ("/open311/v2/requests/", "request_file")):
        if path.startswith(prefix):
            resource, path_parameters = prefix + "{" + name + "}", {name: path.removeprefix(prefix)}
    all_headers = {"Host": "api.ventanilla.example", **(headers or {})}
    if body is not None and base64_body:
        body = base64.b64encode(body.encode()).decode()
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "stage": "api",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "203.0.113.7", "apiKeyId": None},
        },
        "body": body,
        "isBase64Encoded": base64_body,
    }


def call(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response: dict[str, Any] = handler.lambda_handler(api_event(method, path, **kwargs), FakeContext())
    return response


def content_type(response: dict[str, Any]) -> str:
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    multi = {k.lower(): v for k, v in (response.get("multiValueHeaders") or {}).items()}
    return str(headers.get("content-type") or multi["content-type"][0])


def as_json(response: dict[str, Any]) -> Any:
    assert content_type(response) == "application/json; charset=utf-8"
    return json.loads(response["body"])


def as_xml(response: dict[str, Any]) -> ET.Element:
    assert content_type(response) == "text/xml; charset=utf-8"
    assert response["body"].startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response["body"].encode("utf-8"))  # noqa: S314 - our own answer, in a test


def form(fields: Mapping[str, str | list[str]]) -> str:
    return urlencode(
        [(k, v) for k, values in fields.items() for v in (values if isinstance(values, list) else [values])]
    )


def post(fields: Mapping[str, str | list[str]], fmt: str = "json") -> dict[str, Any]:
    return call(
        "POST",
        f"/open311/v2/requests.{fmt}",
        body=form(fields),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


LICENCE = {
    "api_key": API_KEY,
    "service_code": "licencia-conducir",
    "lat": "19.4326",
    "long": "-99.1332",
    "attribute[tipo]": "renovacion",
    "attribute[categoria]": "automovilista",
}
PERSON = {
    "first_name": "María José",
    "last_name": "Hernández García",
    "email": "majo.hernandez@example.com",
    "phone": "55 1234 5678",
    "description": "Mi licencia vence el próximo mes",
    "address_string": "Av. Insurgentes Sur 1234, Col. Del Valle",
    "address_id": "addr-778899",
    "media_url": "https://media.example.com/licencia.jpg",
    "device_id": "device-5c0ffee",
    "account_id": "acct-314159",
}


PREDIAL = {
    "api_key": API_KEY,
    "service_code": "predial",
    "address_id": "cat-045-123-07",
    "attribute[cuenta-catastral]": "045-123-07",
}


def file_request(world: World, *forms: Mapping[str, str]) -> str:
    fields: dict[str, str] = {}
    for extra in forms or (LICENCE,):
        fields.update(extra)
    response = post(fields)
    assert response["statusCode"] == 200, response["body"]
    reference: str = as_json(response)[0]["service_request_id"]
    return reference


# -- services --------------------------------------------------------------------------------------------------


def test_services_json_lists_every_procedure_in_spanish_by_default(world: World) -> None:
    # Given the shipped catalogue
    catalogue = get_catalogue()
    # When a client asks for the service list
    response = call("GET", "/open311/v2/services.json")
    # Then every procedure is a realtime service with the standard's fields, in Spanish
    assert response["statusCode"] == 200
    services = as_json(response)
    assert [s["service_code"] for s in services] == [p.id for p in catalogue]
    licence = next(s for s in services if s["service_code"] == "licencia-conducir")
    procedure = catalogue.get("licencia-conducir")
    assert licence == {
        "service_code": "licencia-conducir",
        "service_name": procedure.name.es,
        "description": procedure.description.es,
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join(procedure.keywords),
        "group": procedure.group,
    }
    assert all(s["metadata"] is bool(catalogue.get(s["service_code"]).attributes) for s in services)


@pytest.mark.parametrize(
    ("query", "headers"),
    [({"locale": "en"}, None), (None, {"Accept-Language": "en-US,en;q=0.9"}), ({"locale": "en_GB"}, None)],
)
def test_services_in_english_by_locale_or_accept_language(
    world: World, query: dict[str, str] | None, headers: dict[str, str] | None
) -> None:
    # When a client asks in English
    services = as_json(call("GET", "/open311/v2/services.json", query=query, headers=headers))
    # Then names and descriptions are the English ones
    assert {s["service_name"] for s in services} == {p.name.en for p in get_catalogue()}


def test_locale_overrides_accept_language(world: World) -> None:
    # When the query says Spanish and the header English
    services = as_json(
        call("GET", "/open311/v2/services.json", query={"locale": "es"}, headers={"Accept-Language": "en"})
    )
    # Then the answer is in Spanish
    assert {s["service_name"] for s in services} == {p.name.es for p in get_catalogue()}


def test_services_xml_has_one_service_element_per_procedure(world: World) -> None:
    # When a client asks for the XML service list
    root = as_xml(call("GET", "/open311/v2/services.xml"))
    # Then the document is <services><service>… with the standard's elements
    assert root.tag == "services"
    services = root.findall("service")
    assert [s.findtext("service_code") for s in services] == [p.id for p in get_catalogue()]
    predial = next(s for s in services if s.findtext("service_code") == "predial")
    assert [child.tag for child in predial] == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert predial.findtext("metadata") == "true"
    assert predial.findtext("type") == "realtime"
    assert predial.findtext("service_name") == get_catalogue().get("predial").name.es


def test_service_definition_json_lists_attributes_with_their_values(world: World) -> None:
    # When a client asks for the definition of a service with list and number attributes
    response = call("GET", "/open311/v2/services/acta-nacimiento.json", query={"locale": "en"})
    # Then each attribute is a variable with code, datatype, order and (for lists) its values
    assert response["statusCode"] == 200
    definition = as_json(response)
    assert definition["service_code"] == "acta-nacimiento"
    formato, copias = definition["attributes"]
    assert formato == {
        "variable": True,
        "code": "formato",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": None,
        "order": 1,
        "description": "How do you want to receive your certificate?",
        "values": [
            {"key": "digital", "name": "Digital (PDF with electronic signature)"},
            {"key": "impresa", "name": "Printed, at the Civil Registry office"},
        ],
    }
    assert copias["datatype"] == "number" and copias["required"] is False and copias["order"] == 2
    assert "values" not in copias


def test_service_definition_xml(world: World) -> None:
    # When a client asks for the XML definition
    root = as_xml(call("GET", "/open311/v2/services/licencia-conducir.xml"))
    # Then it is <service_definition> with <attributes><attribute>…<values><value><key/><name/>
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "licencia-conducir"
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["tipo", "categoria"]
    tipo = attributes[0]
    assert tipo.findtext("variable") == "true" and tipo.findtext("required") == "true"
    assert tipo.findtext("order") == "1" and tipo.findtext("datatype") == "singlevaluelist"
    assert [(v.findtext("key"), v.findtext("name")) for v in tipo.findall("values/value")] == [
        ("primera-vez", "Primera vez"),
        ("renovacion", "Renovación"),
        ("reposicion", "Reposición por robo o extravío"),
    ]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_is_a_404_in_open311_format(world: World, fmt: str) -> None:
    # When a client asks for a service that does not exist
    response = call("GET", f"/open311/v2/services/licencia-de-pesca.{fmt}")
    # Then it gets a 404 in the standard's error format, in the format it asked for
    assert response["statusCode"] == 404
    if fmt == "json":
        (error,) = as_json(response)
        assert error["code"] == 404 and "licencia-de-pesca" in error["description"]
    else:
        root = as_xml(response)
        assert root.tag == "errors"
        assert root.findtext("error/code") == "404" and "licencia-de-pesca" in (
            root.findtext("error/description") or ""
        )


def test_service_file_in_another_format_is_a_404(world: World) -> None:
    # When a client asks for a format the standard does not have
    response = call("GET", "/open311/v2/services/predial.csv")
    # Then the answer is a 404 error list (in JSON)
    assert response["statusCode"] == 404
    assert as_json(response)[0]["code"] == 404


def test_other_jurisdiction_is_refused(world: World) -> None:
    # When a client names a jurisdiction this endpoint does not serve
    response = call("GET", "/open311/v2/services.json", query={"jurisdiction_id": "gdl.gob.mx"})
    # Then it gets a 400 that names it
    assert response["statusCode"] == 400
    assert "gdl.gob.mx" in as_json(response)[0]["description"]
    # And its own jurisdiction is fine
    assert call("GET", "/open311/v2/services.json", query={"jurisdiction_id": JURISDICTION})["statusCode"] == 200


# -- POST requests: success ------------------------------------------------------------------------------------


def test_post_files_a_request_and_answers_the_reference_and_the_status_text(world: World) -> None:
    # When a client with a valid key files a driver's licence renewal
    response = post({**LICENCE, **PERSON, "jurisdiction_id": JURISDICTION})
    # Then it gets the new case's reference and the one status text, as a list of one
    assert response["statusCode"] == 200
    (created,) = as_json(response)
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    assert REFERENCE.match(created["service_request_id"]) and created["service_request_id"].startswith("LIC-")
    assert created["account_id"] is None
    case = world.cases.cases[created["service_request_id"]]
    assert created["service_notice"] == status_text(case, get_catalogue().get("licencia-conducir"), "es")
    assert case.procedure == "licencia-conducir" and case.opened_channel is Channel.WEB
    assert case.citizen_id is None and case.language == "es"


def test_post_stores_the_touchpoint_with_claims_and_details(world: World) -> None:
    # When a client files a request with contact data, a location and attributes
    reference = file_request(world, LICENCE, PERSON)
    # Then one web touchpoint is stored, with the person as claims and everything else as details
    (stored,) = world.touchpoints.items.values()
    touchpoint = stored.touchpoint
    assert re.match(r"^tp-[0-9a-f]{32}$", touchpoint.touchpoint_id)
    assert touchpoint.channel is Channel.WEB
    assert touchpoint.occurred_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - touchpoint.occurred_at) < timedelta(minutes=1)
    claims = touchpoint.citizen
    assert (claims.given_name, claims.family_name) == ("María José", "Hernández García")
    assert (claims.email, claims.phone) == ("majo.hernandez@example.com", "55 1234 5678")
    assert touchpoint.case is not None and touchpoint.case.procedure == "licencia-conducir"
    assert touchpoint.text == "Mi licencia vence el próximo mes"
    assert touchpoint.details == {
        "source": "open311",
        "client": "civic-app",
        "address_string": "Av. Insurgentes Sur 1234, Col. Del Valle",
        "address_id": "addr-778899",
        "lat": 19.4326,
        "long": -99.1332,
        "media_url": "https://media.example.com/licencia.jpg",
        "device_id": "device-5c0ffee",
        "account_id": "acct-314159",
        "attribute.tipo": "renovacion",
        "attribute.categoria": "automovilista",
    }
    # And the case it opened is the one the client was told, attached to it, opened on behalf of the client
    assert stored.case_reference == reference
    assert world.cases.opened_by(touchpoint.touchpoint_id) == reference
    assert world.cases.history_items[reference][0].actor == "open311:civic-app"


def test_the_touchpoint_is_stored_in_the_same_write_as_its_case(world: World) -> None:
    # When a request is filed
    reference = file_request(world)
    # Then the touchpoint came into the store with its case, already on it (the table's stream announces it only
    # then), and the request itself publishes only CaseOpened: TouchpointRecorded is the announcer's
    (stored,) = world.touchpoints.items.values()
    assert stored.case_reference == reference and world.cases.opened_by(stored.touchpoint_id) == reference
    assert [type(e) for e in world.publisher.published] == [CaseOpened]
    assert world.touchpoints.imported == set()


def test_a_case_that_cannot_be_opened_leaves_no_touchpoint(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the case store refuses every write (a reference taken each time, as after a botched migration)
    def taken(*args: Any, **kwargs: Any) -> None:
        raise ConflictError("taken")

    monkeypatch.setattr(world.cases, "create", taken)
    # When a client files a request
    with pytest.raises(ConflictError):
        _submit(world, {name: [value] for name, value in PREDIAL.items()})
    # Then nothing was stored, so nothing is announced (a retry files it afresh)
    assert world.nothing_happened()


def test_post_xml_and_base64_body_in_english(world: World) -> None:
    # When a client posts a base64-encoded form to the XML path, asking for English
    event = api_event(
        "POST",
        "/open311/v2/requests.xml",
        query={"locale": "en"},
        body=form({**LICENCE, "address_string": "Av. Reforma 1"}),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        base64_body=True,
    )
    response = handler.lambda_handler(event, FakeContext())
    # Then the answer is <service_requests><request> with the reference and the English status text
    assert response["statusCode"] == 200
    root = as_xml(response)
    assert root.tag == "service_requests"
    (request,) = root.findall("request")
    reference = request.findtext("service_request_id") or ""
    case = world.cases.cases[reference]
    assert request.findtext("service_notice") == status_text(case, get_catalogue().get("licencia-conducir"), "en")
    assert request.find("account_id") is not None and not request.findtext("account_id")
    assert case.language == "en"


def test_blank_optional_fields_are_as_good_as_absent(world: World) -> None:
    # When a client sends empty optional fields (as web forms do)
    response = post({**LICENCE, "email": "", "phone": "", "description": "", "first_name": ""})
    # Then the request is filed and the touchpoint carries no empty claims
    assert response["statusCode"] == 200
    (stored,) = world.touchpoints.items.values()
    assert stored.touchpoint.citizen.email is None and stored.touchpoint.text is None


def test_the_key_and_personal_fields_are_not_logged(world: World, caplog: pytest.LogCaptureFixture) -> None:
    # When a request with personal data is filed, and another with a wrong key is refused
    caplog.set_level("DEBUG")
    file_request(world, LICENCE, PERSON)
    post({**LICENCE, "api_key": "not-the-key", "email": "refused@example.com"})
    # Then the logs (messages, extra keys, tracebacks) name neither the keys nor the person
    logs = "\n".join(f"{r.getMessage()} {r.__dict__} {r.exc_text or ''}" for r in caplog.records)
    assert "open311 request filed" in logs and "open311 request refused" in logs
    for secret in (API_KEY, "not-the-key", "majo.hernandez@example.com", "María José", "55 1234 5678", "refused@"):
        assert secret not in logs


# -- POST requests: refused, nothing stored --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "status", "mentions"),
    [
        ({"api_key": None}, 403, "api_key is not valid"),
        ({"api_key": "k3y-of-someone-else"}, 403, "api_key is not valid"),
        ({"api_key": ""}, 403, "api_key is not valid"),
        ({"service_code": "licencia-de-pesca"}, 400, "licencia-de-pesca"),
        ({"service_code": None}, 400, "service_code is required"),
        ({"lat": None, "long": None}, 400, "location is required"),
        ({"long": None}, 400, "lat and long must be given together"),
        ({"lat": "91"}, 400, "lat"),
        ({"lat": "north"}, 400, "lat"),
        ({"long": "nan"}, 400, "long"),
        ({"attribute[categoria]": None}, 400, "attribute[categoria] is required"),
        ({"attribute[tipo]": "permanente"}, 400, "'permanente' is not one of: primera-vez, renovacion, reposicion"),
        ({"attribute[tipo]": ["renovacion", "reposicion"]}, 400, "attribute[tipo] takes one value"),
        ({"attribute[color]": "rojo"}, 400, "attribute['color'] is not an attribute of licencia-conducir"),
        ({"jurisdiction_id": "gdl.gob.mx"}, 400, "jurisdiction_id 'gdl.gob.mx' is not served here"),
        ({"description": "x" * 4001}, 400, "description"),
        ({"email": "not-an-email"}, 400, "email"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
        ({"service_code": ["licencia-conducir", "predial"]}, 400, "service_code was given more than once"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_problems_are_open311_errors_and_store_nothing(
    world: World, change: dict[str, Any], status: int, mentions: str, fmt: str
) -> None:
    # Given a request with one thing wrong
    fields = {k: v for k, v in {**LICENCE, **change}.items() if v is not None}
    # When the client posts it
    response = post(fields, fmt)
    # Then it gets the status and an error list that says what is wrong, in the format it asked for
    assert response["statusCode"] == status
    if fmt == "json":
        errors = as_json(response)
        assert all(set(e) == {"code", "description"} and e["code"] == status for e in errors)
        descriptions = [e["description"] for e in errors]
    else:
        root = as_xml(response)
        assert root.tag == "errors"
        assert {e.findtext("code") for e in root.findall("error")} == {str(status)}
        descriptions = [e.findtext("description") or "" for e in root.findall("error")]
    assert any(mentions in d for d in descriptions), descriptions
    # And nothing was stored, opened or published
    assert world.nothing_happened()


def test_every_problem_is_listed_at_once(world: World) -> None:
    # When a form has several problems in its fields
    response = post({**LICENCE, "lat": "200", "email": "nope", "description": "x" * 5000})
    # Then each one is an error of the list
    assert response["statusCode"] == 400
    descriptions = " | ".join(e["description"] for e in as_json(response))
    assert "lat" in descriptions and "email" in descriptions and "description" in descriptions


def test_a_wrong_key_is_refused_before_the_fields_are_judged(world: World) -> None:
    # When a client without a valid key sends an invalid form
    response = post({"api_key": "guess", "service_code": "licencia-de-pesca"})
    # Then it learns only that the key is not valid
    assert response["statusCode"] == 403
    assert as_json(response) == [{"code": 403, "description": "api_key is not valid"}]


@pytest.mark.parametrize(
    ("body", "headers", "mentions"),
    [
        (json.dumps(LICENCE), {"Content-Type": "application/json"}, "application/x-www-form-urlencoded"),
        ("api_key=%FF%FE", {"Content-Type": "application/x-www-form-urlencoded"}, "not UTF-8"),
    ],
)
def test_a_body_that_is_not_a_form_is_a_400(world: World, body: str, headers: dict[str, str], mentions: str) -> None:
    # When the body is not a readable form
    response = call("POST", "/open311/v2/requests.json", body=body, headers=headers)
    # Then the answer is a 400 error list and nothing is stored
    assert response["statusCode"] == 400
    assert mentions in as_json(response)[0]["description"]
    assert world.nothing_happened()


def test_a_body_over_the_limit_is_a_413_in_open311_format(world: World) -> None:
    # When a client posts more than 256 KB
    response = post({**LICENCE, "description": "x" * (300 * 1024)}, "xml")
    # Then the answer is the standard's error list, not the platform's JSON
    assert response["statusCode"] == 413
    assert as_xml(response).findtext("error/code") == "413"
    assert world.nothing_happened()


def test_multivaluelist_values_are_repeatable_and_joined() -> None:
    # Given a service with a multiple-choice attribute
    catalogue = get_catalogue()
    procedure = catalogue.get("predial")
    channels = Attribute(
        code="avisos",
        datatype="multivaluelist",
        description=Text(es="Avisos", en="Notices"),
        values=tuple(AttributeValue(key=k, name=Text(es=k, en=k)) for k in ("correo", "sms", "whatsapp")),
    )
    extended = procedure.model_copy(update={"attributes": (*procedure.attributes, channels)})
    world = World.build(Catalogue({p.id: (extended if p.id == "predial" else p) for p in catalogue}))
    # When a client picks two values, in both spellings the standard's clients use
    fields = {
        "api_key": [API_KEY],
        "service_code": ["predial"],
        "address_id": ["cat-001"],
        "attribute[cuenta-catastral]": ["045-123-07"],
        "attribute[avisos]": ["correo"],
        "attribute[avisos][]": ["whatsapp"],
    }
    created = _submit(world, fields)
    # Then both are kept, joined by commas
    (stored,) = world.touchpoints.items.values()
    assert stored.touchpoint.details["attribute.avisos"] == "correo,whatsapp"
    assert stored.case_reference == created
    # And a value outside the list is refused, storing nothing more
    with pytest.raises(Open311Error) as refused:
        _submit(world, {**fields, "attribute[avisos][]": ["paloma"]})
    assert refused.value.status == 400 and "'paloma' is not one of" in refused.value.descriptions[0]
    assert len(world.touchpoints.items) == 1


def test_a_service_that_cannot_be_started_online_is_refused_and_stores_nothing() -> None:
    # Given a service whose first step is done only at the office
    catalogue = get_catalogue()
    procedure = catalogue.get("predial")
    first = procedure.steps[0].model_copy(update={"channels": (Channel.OFFICE,)})
    office_only = procedure.model_copy(update={"steps": (first, *procedure.steps[1:])})
    world = World.build(Catalogue({p.id: (office_only if p.id == "predial" else p) for p in catalogue}))
    # When a client files it
    with pytest.raises(Open311Error) as refused:
        _submit(world, {"api_key": [API_KEY], "service_code": ["predial"], "address_id": ["x"]})
    # Then it is a 400 and nothing is stored or published
    assert refused.value.status == 400 and "predial" in refused.value.descriptions[0]
    assert world.nothing_happened()


def _submit(world: World, fields: dict[str, list[str]]) -> str:
    created = submit_request(
        fields,
        language="es",
        catalogue=world.service.catalogue,
        case_service=world.service,
        check_key=lambda key: "civic-app" if key == API_KEY else None,
    )
    return created.service_request_id


# -- GET requests ----------------------------------------------------------------------------------------------


def test_requests_by_ids_in_the_order_asked_skipping_unknown_ones(world: World) -> None:
    # Given two filed requests
    first = file_request(world)
    second = file_request(world, PREDIAL)
    # When a client asks for both (and one that does not exist), with other arguments that the ids override
    query = {"service_request_id": f"{second}, LIC-2020-999999,{first},nonsense", "status": "closed"}
    requests = as_json(call("GET", "/open311/v2/requests.json", query=query))
    # Then it gets the two, in the order it asked, open
    assert [r["service_request_id"] for r in requests] == [second, first]
    assert [r["status"] for r in requests] == ["open", "open"]
    assert requests[0]["service_code"] == "predial"
    assert requests[0]["agency_responsible"] == "Ventanilla"


def test_requests_by_service_code_and_status(world: World) -> None:
    # Given three licence requests, one of them abandoned, and a property-tax one
    kept, dropped, other = file_request(world), file_request(world), file_request(world)
    file_request(world, PREDIAL)
    world.service.set_status(dropped, CaseStatus.ABANDONED, channel=Channel.OFFICE, actor="op-1")
    # When a client asks for the closed licence requests
    closed = as_json(
        call("GET", "/open311/v2/requests.json", query={"service_code": "licencia-conducir", "status": "closed"})
    )
    # Then only the abandoned one is listed, as closed, with the status text in Spanish
    assert [r["service_request_id"] for r in closed] == [dropped]
    case = world.cases.cases[dropped]
    assert closed[0]["status"] == "closed"
    assert closed[0]["status_notes"] == status_text(case, get_catalogue().get("licencia-conducir"), "es")
    # And the open ones are the other two, newest first
    opened = as_json(
        call("GET", "/open311/v2/requests.json", query={"service_code": "licencia-conducir", "status": "open"})
    )
    assert {r["service_request_id"] for r in opened} == {kept, other}
    assert [r["requested_datetime"] for r in opened] == sorted((r["requested_datetime"] for r in opened), reverse=True)
    # And without a service code every procedure is listed
    everything = as_json(call("GET", "/open311/v2/requests.json", query={"status": "open,closed"}))
    assert {r["service_code"] for r in everything} == {"licencia-conducir", "predial"}
    assert len(everything) == 4


def test_requests_listing_in_xml_with_w3c_dates(world: World) -> None:
    # Given a filed request
    reference = file_request(world)
    # When a client lists requests in XML, in English
    root = as_xml(call("GET", "/open311/v2/requests.xml", headers={"Accept-Language": "en"}))
    # Then each is a <request> of <service_requests>, with the public fields only and dates with an offset
    assert root.tag == "service_requests"
    (request,) = root.findall("request")
    assert {child.tag for child in request} == PUBLIC_FIELDS
    assert request.findtext("service_request_id") == reference
    assert request.findtext("service_name") == get_catalogue().get("licencia-conducir").name.en
    assert W3C.match(request.findtext("requested_datetime") or "")
    assert W3C.match(request.findtext("updated_datetime") or "")


def test_the_public_listing_carries_nothing_personal(world: World) -> None:
    # Given a request filed with everything personal a client can send
    reference = file_request(world, LICENCE, PERSON)
    # When anybody lists or reads requests, in either format
    answers = [
        call("GET", "/open311/v2/requests.json"),
        call("GET", "/open311/v2/requests.xml"),
        call("GET", "/open311/v2/requests.json", query={"service_request_id": reference}),
        call("GET", f"/open311/v2/requests/{reference}.json"),
        call("GET", f"/open311/v2/requests/{reference}.xml"),
    ]
    # Then each request has only the public fields, and no personal value appears anywhere
    for answer in answers:
        assert answer["statusCode"] == 200
        assert reference in answer["body"]
        for value in (*PERSON.values(), LICENCE["lat"], LICENCE["long"], "19.43", "99.13", "renovacion"):
            assert value not in answer["body"], value
    for answer in answers[0], answers[2], answers[3]:
        assert all(set(r) == PUBLIC_FIELDS for r in as_json(answer))


def test_one_request_is_a_list_of_one(world: World) -> None:
    # Given a filed request
    reference = file_request(world)
    # When a client reads it
    (request,) = as_json(call("GET", f"/open311/v2/requests/{reference}.json", query={"locale": "en"}))
    # Then it has its status and the English status text
    case = world.cases.cases[reference]
    assert request["service_request_id"] == reference and request["status"] == "open"
    assert request["status_notes"] == status_text(case, get_catalogue().get("licencia-conducir"), "en")
    assert W3C.match(request["requested_datetime"])


@pytest.mark.parametrize("reference", ["LIC-2026-999999", "not-a-reference"])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_request_is_a_404_in_open311_format(world: World, reference: str, fmt: str) -> None:
    # When a client asks for a request that does not exist
    response = call("GET", f"/open311/v2/requests/{reference}.{fmt}")
    # Then the answer is a 404 error list naming it
    assert response["statusCode"] == 404
    if fmt == "json":
        assert as_json(response) == [{"code": 404, "description": f"service request '{reference}' not found"}]
    else:
        root = as_xml(response)
        assert root.tag == "errors" and root.findtext("error/code") == "404"
        assert reference in (root.findtext("error/description") or "")


def test_dates_default_to_the_last_90_days_and_filter(world: World) -> None:
    # Given a request from 100 days ago and one from 10 days ago
    now = datetime.now(UTC)
    world.service.clock = lambda: now - timedelta(days=100)
    old = world.service.open("predial", citizen_id=None, channel=Channel.WEB, actor="test").reference
    world.service.clock = lambda: now - timedelta(days=10)
    recent = world.service.open("predial", citizen_id=None, channel=Channel.WEB, actor="test").reference
    # When a client lists requests without dates
    listed = as_json(call("GET", "/open311/v2/requests.json"))
    # Then only the last 90 days are listed
    assert [r["service_request_id"] for r in listed] == [recent]
    # And explicit dates (with any offset) choose the window
    window = {
        "start_date": (now - timedelta(days=120)).astimezone().isoformat(),
        "end_date": (now - timedelta(days=50)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert [r["service_request_id"] for r in as_json(call("GET", "/open311/v2/requests.json", query=window))] == [old]


@pytest.mark.parametrize(
    ("query", "mentions"),
    [
        ({"start_date": "yesterday"}, "start_date"),
        ({"start_date": "2026-03-02T00:00:00Z", "end_date": "2026-03-01T00:00:00Z"}, "start_date must not be after"),
        ({"status": "pending"}, "'pending' is not open or closed"),
        ({"service_code": "licencia-de-pesca"}, "licencia-de-pesca"),
        ({"service_request_id": ",".join(f"LIC-2026-{n:06d}" for n in range(101))}, "at most 100"),
    ],
)
def test_bad_listing_arguments_are_400(world: World, query: dict[str, str], mentions: str) -> None:
    # When a client lists requests with an argument that makes no sense
    response = call("GET", "/open311/v2/requests.xml", query=query)
    # Then the answer is a 400 error list in XML that says which
    assert response["statusCode"] == 400
    root = as_xml(response)
    assert mentions in (root.findtext("error/description") or "")


# -- wire ------------------------------------------------------------------------------------------------------


def test_xml_text_is_escaped_and_cleaned_of_characters_xml_cannot_carry() -> None:
    # When an error description carries markup and a control character
    _, body = wire.render_errors("xml", 400, ["service_code '<b>&\x01' is not a known service"])
    # Then the document is well-formed and the text reads back as sent, minus the control character
    root = ET.fromstring(body.encode("utf-8"))  # noqa: S314 - our own output, in a test
    assert root.findtext("error/description") == "service_code '<b>&' is not a known service"


def test_form_parsing_keeps_repeated_fields_in_order() -> None:
    # When a form repeats a field and has blank values
    fields = wire.parse_form("attribute%5Bx%5D=a&attribute%5Bx%5D=b&email=&name=Jos%C3%A9+Mar%C3%ADa")
    # Then every value is kept, decoded
    assert fields == {"attribute[x]": ["a", "b"], "email": [""], "name": ["José María"]}


# -- failures outside the client's control ---------------------------------------------------------------------


def test_a_path_the_function_does_not_serve_is_an_open311_404(world: World) -> None:
    # When a request reaches the function on a path it has no route for
    response = call("DELETE", "/open311/v2/requests.json")
    # Then the answer is still the standard's error list
    assert response["statusCode"] == 404
    assert as_json(response)[0]["code"] == 404


def test_a_bus_outage_is_a_503_in_open311_format(world: World) -> None:
    # Given the bus refuses events
    world.publisher.failures_left = 5
    # When a client files a request
    response = post(LICENCE, "xml")
    # Then it is told to try again, in the standard's error format
    assert response["statusCode"] == 503
    assert as_xml(response).findtext("error/code") == "503"


def test_an_unexpected_failure_is_a_500_in_open311_format(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Given the secret with the client keys cannot be read
    def unreadable(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("AccessDenied")

    monkeypatch.setattr(handler.parameters, "get_secret", unreadable)
    # When a client files a request
    response = post(LICENCE)
    # Then it gets a 500 error list, the failure is logged, and nothing was stored
    assert response["statusCode"] == 500
    assert as_json(response) == [{"code": 500, "description": "internal error; try again later"}]
    assert "open311 request failed" in caplog.text
    assert world.nothing_happened()
