"""Every channel's request body and adapter: what a channel sends becomes the touchpoint a user expects."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from shared.identity.normalise import identifiers_from_claims
from shared.models.citizen import IdentifierKind
from shared.models.touchpoint import Channel, Touchpoint, touchpoint_id_for

pytestmark = pytest.mark.unit

EVENTS = Path(__file__).resolve().parents[1] / "events"


@dataclass(frozen=True)
class ChannelCase:
    channel: Channel
    model_name: str
    id_field: str  # the field a retry repeats and a new message changes
    time_field: str  # becomes occurred_at
    source_message_id: str  # what the example's touchpoint is keyed on
    identifiers: list[tuple[IdentifierKind, str]]  # normalised, strongest first
    details: dict[str, Any]
    missing_field: str  # the required field left out of <channel>_touchpoint_invalid.json
    text_starts: str | None = field(default=None)

    @property
    def name(self) -> str:
        return self.channel.value

    @property
    def request_model(self) -> type[BaseModel]:
        model: type[BaseModel] = getattr(importlib.import_module(f"functions.{self.name}.models"), self.model_name)
        return model

    @property
    def to_touchpoint(self) -> Callable[[Any], Touchpoint]:
        adapter: Callable[[Any], Touchpoint] = importlib.import_module(f"functions.{self.name}.adapter").to_touchpoint
        return adapter

    def event(self, suffix: str = "") -> dict[str, Any]:
        data: dict[str, Any] = json.loads((EVENTS / f"{self.name}_touchpoint{suffix}.json").read_text(encoding="utf-8"))
        return data

    def adapt(self, body: dict[str, Any]) -> Touchpoint:
        return self.to_touchpoint(self.request_model.model_validate(body))


CASES = [
    ChannelCase(
        channel=Channel.PHONE,
        model_name="PhoneTouchpointRequest",
        id_field="call_id",
        time_field="started_at",
        source_message_id="CC-20260302-000451",
        identifiers=[(IdentifierKind.PHONE, "+525512345678")],
        details={"direction": "inbound", "queue": "licencias", "duration_seconds": 342, "disposition": "resolved"},
        missing_field="caller_number",
        text_starts="Pregunta por el estado de su licencia",
    ),
    ChannelCase(
        channel=Channel.MESSAGING,
        model_name="MessagingTouchpointRequest",
        id_field="message_id",
        time_field="sent_at",
        source_message_id="whatsapp:wamid.HBgNNTIxNTUxMjM0NTY3OBUCABIYFjNFQjBDMEE1RjI3QTk1",
        identifiers=[(IdentifierKind.PHONE, "+525512345678")],
        details={
            "network": "whatsapp",
            "to_number": "+52 55 5000 1234",
            "profile_name": "Majo Hernández",
            "media_count": 1,
            "media_content_types": "image/jpeg",
        },
        missing_field="from_number",
        text_starts="Buenos días, ya subí mi comprobante",
    ),
    ChannelCase(
        channel=Channel.EMAIL,
        model_name="EmailTouchpointRequest",
        id_field="message_id",
        time_field="received_at",
        source_message_id="CAF3xq9R2m7d8Q@mail.example.com",
        identifiers=[(IdentifierKind.EMAIL, "jorge.ramirez@example.com")],
        details={
            "from_name": "Jorge Alberto Ramírez Soto",
            "to_address": "atencion.ciudadana@tesoreria.example.mx",
            "subject": "Duda sobre el pago del predial 2026",
            "attachment_count": 1,
            "attachment_names": "boleta-predial-2025.pdf",
            "attachment_bytes": 184320,
        },
        missing_field="from_address",
        text_starts="Duda sobre el pago del predial 2026\n\nBuenas tardes.",
    ),
    ChannelCase(
        channel=Channel.CHAT,
        model_name="ChatTouchpointRequest",
        id_field="session_id",
        time_field="started_at",
        source_message_id="chat-20260306-8f41c2",
        identifiers=[(IdentifierKind.PHONE, "+525587654321")],
        details={
            "ended_at": "2026-03-06T12:09:48-06:00",
            "duration_seconds": 457,
            "bot_handled": False,
            "agent_id": "agente-017",
            "message_count": 4,
            "citizen_message_count": 2,
        },
        missing_field="ended_at",
        text_starts="Me registré al programa de apoyo a madres trabajadoras",
    ),
    ChannelCase(
        channel=Channel.SOCIAL,
        model_name="SocialTouchpointRequest",
        id_field="message_id",
        time_field="sent_at",
        source_message_id="facebook:m_5KzQ1f9Yb0u2cN7rA3d8Lw",
        identifiers=[(IdentifierKind.PHONE, "+525587654321"), (IdentifierKind.SOCIAL, "facebook:lupita.torres.m")],
        details={"platform": "facebook", "is_public": False, "display_name": "Lupita Torres", "post_url": None},
        missing_field="handle",
        text_starts="Hola, me inscribí al programa social",
    ),
    ChannelCase(
        channel=Channel.WEB,
        model_name="WebTouchpointRequest",
        id_field="event_id",
        time_field="occurred_at",
        source_message_id="web-evt-01JNQ3T7W9K2M4P6R8S0V1X3Z5",
        identifiers=[
            (IdentifierKind.LOGIN_SUBJECT, "sso|7c1e9a52-3b4d-4f0e-9a61-2d8f5b0c3e11"),
            (IdentifierKind.EMAIL, "jorge.ramirez@example.com"),
        ],
        details={
            "action": "form_submitted",
            "page": "/tramites/predial/aclaracion-cuenta",
            "session_id": "s-4b7d2e90a1c3",
            "signed_in": True,
        },
        missing_field="action",
    ),
    ChannelCase(
        channel=Channel.MOBILE,
        model_name="MobileTouchpointRequest",
        id_field="event_id",
        time_field="occurred_at",
        source_message_id="app-evt-3f9a1c7e-52b4-4d08-9e6a-0c2b7d5f8a14",
        identifiers=[
            (IdentifierKind.LOGIN_SUBJECT, "sso|2d9b4f61-8a0e-4c37-b5d2-61f0e3a9c7b8"),
            (IdentifierKind.NATIONAL_ID, "CAOL920815HDFSRS03"),
        ],
        details={
            "action": "appointment_booked",
            "platform": "android",
            "app_version": "3.4.1",
            "device_id": "sha256:6f1e0c2d9b8a7f3e4d5c6b7a8f9e0d1c",
            "screen": "citas/pasaporte/confirmacion",
        },
        missing_field="device_id",
    ),
    ChannelCase(
        channel=Channel.OFFICE,
        model_name="OfficeTouchpointRequest",
        id_field="ticket_id",
        time_field="checked_in_at",
        source_message_id="CDMX-CUAUH-01:2026-03-02:A-017",
        identifiers=[(IdentifierKind.NATIONAL_ID, "HEGM870412MDFRRR02"), (IdentifierKind.PHONE, "+525512345678")],
        details={
            "office_id": "CDMX-CUAUH-01",
            "ticket_id": "A-017",
            "service_desk": "ventanilla-4",
            "clerk_id": "func-0231",
            "wait_seconds": 1105,
            "outcome": "documents_missing",
            "document_type": "ine",
        },
        missing_field="office_id",
        text_starts="Renovación de licencia de conducir tipo A\n\nFalta comprobante",
    ),
]

BY_CHANNEL = {case.channel: case for case in CASES}


def test_every_channel_has_a_case() -> None:
    # Given the channels Ventanilla accepts
    # When they are compared with the cases below
    # Then none is left untested
    assert {case.channel for case in CASES} == set(Channel)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_example_event_maps_to_a_touchpoint_of_its_channel(case: ChannelCase) -> None:
    # Given the realistic body from tests/events
    body = case.event()

    # When it is validated and adapted
    touchpoint = case.adapt(body)

    # Then it is a touchpoint of that channel, at the time the channel reported, keyed on the channel's message
    assert touchpoint.channel is case.channel
    assert touchpoint.occurred_at.isoformat() == body[case.time_field]
    assert touchpoint.source_message_id == case.source_message_id
    assert touchpoint.touchpoint_id == touchpoint_id_for(case.channel, case.source_message_id)
    assert touchpoint.case is not None and touchpoint.case.procedure == body["case"]["procedure"]
    if case.text_starts is None:
        assert touchpoint.text is None
    else:
        assert touchpoint.text is not None and touchpoint.text.startswith(case.text_starts)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_same_request_twice_gets_the_same_touchpoint_id(case: ChannelCase) -> None:
    # Given the same body delivered twice (a retry)
    # When each delivery is adapted on its own
    first, second = case.adapt(case.event()), case.adapt(case.event())

    # Then both name the same touchpoint with the same content
    assert first.touchpoint_id == second.touchpoint_id
    assert first.fingerprint() == second.fingerprint()


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_another_message_id_gets_another_touchpoint_id(case: ChannelCase) -> None:
    # Given two bodies that differ only in the channel's message id
    body = case.event()
    other = {**body, case.id_field: f"{body[case.id_field]}-2"}

    # When both are adapted
    # Then they are two touchpoints
    assert case.adapt(body).touchpoint_id != case.adapt(other).touchpoint_id


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_example_carries_the_identifiers_a_user_expects(case: ChannelCase) -> None:
    # Given the example body of the channel
    touchpoint = case.adapt(case.event())

    # When the identity engine reads its claims
    found = [(identifier.kind, identifier.value) for identifier in identifiers_from_claims(touchpoint.citizen)]

    # Then it finds exactly the identifiers the channel knows, normalised
    assert found == case.identifiers


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_example_keeps_the_channel_metadata_in_details(case: ChannelCase) -> None:
    # Given the example body of the channel
    # When it is adapted
    details = case.adapt(case.event()).details

    # Then the channel's own metadata is kept, with the values the channel sent
    assert {key: details.get(key, "<absent>") for key in case.details} == case.details


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_invalid_event_is_refused_naming_the_missing_field(case: ChannelCase) -> None:
    # Given the invalid body from tests/events, which lacks one required field
    body = case.event("_invalid")
    assert case.missing_field not in body

    # When it is validated
    with pytest.raises(ValidationError) as raised:
        case.request_model.model_validate(body)

    # Then the only complaint is that field
    assert [(error["type"], error["loc"]) for error in raised.value.errors()] == [("missing", (case.missing_field,))]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_unknown_field_is_refused(case: ChannelCase) -> None:
    # Given a valid body with a misspelt extra field
    body = {**case.event(), "citizen_phone": "55 1234 5678"}

    # When it is validated
    with pytest.raises(ValidationError) as raised:
        case.request_model.model_validate(body)

    # Then the extra field is named, not silently dropped
    assert [(error["type"], error["loc"]) for error in raised.value.errors()] == [
        ("extra_forbidden", ("citizen_phone",))
    ]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_timestamp_without_offset_is_refused(case: ChannelCase) -> None:
    # Given a body whose timestamp has no UTC offset (an ambiguous local time)
    body = {**case.event(), case.time_field: "2026-03-02T15:04:05"}

    # When it is validated
    with pytest.raises(ValidationError) as raised:
        case.request_model.model_validate(body)

    # Then the timestamp is refused
    assert [(error["type"], error["loc"]) for error in raised.value.errors()] == [
        ("timezone_aware", (case.time_field,))
    ]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_openapi_document_shows_the_example_body(case: ChannelCase) -> None:
    # Given the channel's deployed app
    app = importlib.import_module(f"functions.{case.name}.handler").app

    # When its OpenAPI document is generated
    schema = app.get_openapi_schema().model_dump(by_alias=True, exclude_none=True)

    # Then the request body is documented with the realistic example, the same as tests/events
    operation = schema["paths"][f"/v1/channels/{case.name}/touchpoints"]["post"]
    assert operation["operationId"] == f"post_{case.name}_touchpoint"
    assert schema["components"]["schemas"][case.model_name]["examples"] == [case.event()]


# --- channel-specific rules -------------------------------------------------------------------------------


def test_messaging_same_id_on_sms_and_whatsapp_are_two_touchpoints() -> None:
    # Given the same message id arriving over SMS and over WhatsApp (independent numbering)
    case = BY_CHANNEL[Channel.MESSAGING]
    whatsapp = case.event()
    sms = {**whatsapp, "network": "sms", "media": []}

    # When both are adapted
    # Then they do not collide
    assert case.adapt(whatsapp).touchpoint_id != case.adapt(sms).touchpoint_id


def test_messaging_from_number_wins_over_a_typed_phone() -> None:
    # Given a message whose sender typed another phone number in the conversation
    case = BY_CHANNEL[Channel.MESSAGING]
    body = {**case.event(), "sender": {"given_name": "María José", "phone": "33 1234 5678"}}

    # When it is adapted
    citizen = case.adapt(body).citizen

    # Then the number the message came from is the phone claim, and the name is kept
    assert citizen.phone == "5215512345678"
    assert citizen.given_name == "María José"


def test_messaging_media_list_is_bounded() -> None:
    # Given a message with more attachments than a gateway ever sends
    case = BY_CHANNEL[Channel.MESSAGING]
    media = [{"content_type": "image/jpeg", "url": f"https://media.example.mx/{n}.jpg"} for n in range(11)]

    # When it is validated
    with pytest.raises(ValidationError) as raised:
        case.request_model.model_validate({**case.event(), "media": media})

    # Then the list is refused
    assert [(error["type"], error["loc"]) for error in raised.value.errors()] == [("too_long", ("media",))]


def test_email_message_id_with_or_without_brackets_is_the_same_touchpoint() -> None:
    # Given one email reported once with the Message-ID's angle brackets and once without
    case = BY_CHANNEL[Channel.EMAIL]
    with_brackets = case.event()
    without = {**with_brackets, "message_id": "CAF3xq9R2m7d8Q@mail.example.com"}

    # When both are adapted
    # Then they are the same touchpoint
    assert case.adapt(with_brackets).touchpoint_id == case.adapt(without).touchpoint_id


def test_email_from_name_is_the_senders_given_names_and_surnames() -> None:
    case = BY_CHANNEL[Channel.EMAIL]
    citizen = case.adapt(case.event()).citizen
    assert (citizen.given_name, citizen.family_name) == ("Jorge Alberto", "Ramírez Soto")
    household = case.adapt({**case.event(), "from_name": "Familia Ramírez Soto"}).citizen
    assert (household.given_name, household.family_name) == (None, "Ramírez Soto")
    nameless = case.adapt({k: v for k, v in case.event().items() if k != "from_name"}).citizen
    assert (nameless.given_name, nameless.family_name) == (None, None)


def test_email_text_is_the_body_alone_when_there_is_no_subject_and_keeps_the_thread() -> None:
    # Given a reply without a subject
    case = BY_CHANNEL[Channel.EMAIL]
    body = {
        **case.event(),
        "subject": "",
        "text_body": "Gracias, ya pude pagar.",
        "in_reply_to": "<respuesta-118@tesoreria.example.mx>",
        "references": ["<CAF3xq9R2m7d8Q@mail.example.com>", "<respuesta-118@tesoreria.example.mx>"],
    }

    # When it is adapted
    touchpoint = case.adapt(body)

    # Then the text is the body, and the thread headers are in the details
    assert touchpoint.text == "Gracias, ya pude pagar."
    assert touchpoint.details["in_reply_to"] == "<respuesta-118@tesoreria.example.mx>"
    assert touchpoint.details["references"] == "<CAF3xq9R2m7d8Q@mail.example.com> <respuesta-118@tesoreria.example.mx>"


def test_email_text_is_cut_at_the_touchpoint_limit() -> None:
    # Given an email whose subject and body together pass the 20 000-character limit
    case = BY_CHANNEL[Channel.EMAIL]
    body = {**case.event(), "subject": "Queja", "text_body": "x" * 20_000}

    # When it is adapted
    text = case.adapt(body).text

    # Then the text starts with the subject and stops at the limit
    assert text is not None and text.startswith("Queja\n\nxxx") and len(text) == 20_000


def test_chat_text_is_only_what_the_citizen_wrote() -> None:
    # Given the example session, with bot, agent and citizen lines
    case = BY_CHANNEL[Channel.CHAT]

    # When it is adapted
    text = case.adapt(case.event()).text

    # Then the text is the citizen's two lines, in order
    assert text == (
        "Me registré al programa de apoyo a madres trabajadoras y no me han depositado.\nPerfecto, muchas gracias."
    )


def test_chat_signed_in_visitor_brings_the_login_subject() -> None:
    # Given a session of a visitor signed in to the portal
    case = BY_CHANNEL[Channel.CHAT]
    body = {**case.event(), "visitor": {"login_subject": "sso|2d9b4f61-8a0e-4c37-b5d2-61f0e3a9c7b8"}}

    # When it is adapted
    citizen = case.adapt(body).citizen

    # Then the verified subject is claimed
    assert citizen.login_subject == "sso|2d9b4f61-8a0e-4c37-b5d2-61f0e3a9c7b8"


def test_chat_session_ending_before_it_starts_is_refused() -> None:
    # Given a session whose end is before its start
    case = BY_CHANNEL[Channel.CHAT]
    body = {**case.event(), "ended_at": "2026-03-06T11:00:00-06:00"}

    # When it is validated
    # Then it is refused
    with pytest.raises(ValidationError, match="ended_at is before started_at"):
        case.request_model.model_validate(body)


def test_chat_transcript_is_bounded() -> None:
    # Given a transcript longer than any real session
    case = BY_CHANNEL[Channel.CHAT]
    line = {"sender": "citizen", "text": "hola", "sent_at": "2026-03-06T12:02:40-06:00"}

    # When it is validated
    with pytest.raises(ValidationError) as raised:
        case.request_model.model_validate({**case.event(), "transcript": [line] * 501})

    # Then it is refused
    assert [(error["type"], error["loc"]) for error in raised.value.errors()] == [("too_long", ("transcript",))]


def test_social_handle_with_at_sign_is_the_same_identifier() -> None:
    # Given two comments by the same account, one reported as "@lupita.torres.m"
    case = BY_CHANNEL[Channel.SOCIAL]
    plain = case.adapt(case.event())
    with_at = case.adapt({**case.event(), "message_id": "m_other", "handle": "@Lupita.Torres.M"})

    # When the identity engine reads both
    def social(touchpoint: Touchpoint) -> list[str]:
        return [i.value for i in identifiers_from_claims(touchpoint.citizen) if i.kind is IdentifierKind.SOCIAL]

    # Then both point at the same account
    assert social(plain) == social(with_at) == ["facebook:lupita.torres.m"]


def test_social_same_id_on_two_platforms_are_two_touchpoints() -> None:
    # Given the same message id on Facebook and on Instagram
    case = BY_CHANNEL[Channel.SOCIAL]
    facebook = case.event()
    instagram = {**facebook, "platform": "instagram"}

    # When both are adapted
    # Then they do not collide
    assert case.adapt(facebook).touchpoint_id != case.adapt(instagram).touchpoint_id


def test_web_anonymous_visit_claims_nothing() -> None:
    # Given a portal event from a visitor who is not signed in and typed nothing
    case = BY_CHANNEL[Channel.WEB]
    body = {key: value for key, value in case.event().items() if key not in ("login_subject", "person")}

    # When it is adapted
    touchpoint = case.adapt(body)

    # Then it carries no identifier and says so
    assert identifiers_from_claims(touchpoint.citizen) == []
    assert touchpoint.details["signed_in"] is False


def test_mobile_push_opened_is_an_app_action() -> None:
    # Given an app event for an opened push notification
    case = BY_CHANNEL[Channel.MOBILE]
    body = {**case.event(), "action": "push_opened", "platform": "ios"}

    # When it is adapted
    details = case.adapt(body).details

    # Then the action and platform are kept
    assert (details["action"], details["platform"]) == ("push_opened", "ios")


def test_office_same_ticket_in_another_office_or_day_is_another_touchpoint() -> None:
    # Given ticket A-017 at two offices, and at the same office the next day
    case = BY_CHANNEL[Channel.OFFICE]
    body = case.event()
    other_office = {**body, "office_id": "CDMX-COYO-02"}
    next_day = {**body, "checked_in_at": "2026-03-03T09:12:40-06:00", "served_at": None}

    # When all three are adapted
    ids = {case.adapt(each).touchpoint_id for each in (body, other_office, next_day)}

    # Then they are three touchpoints
    assert len(ids) == 3


def test_office_document_curp_beats_the_typed_one() -> None:
    # Given a clerk who mistyped the CURP while the document read gives the right one
    case = BY_CHANNEL[Channel.OFFICE]
    body = case.event()
    body["person"] = {**body["person"], "national_id": "HEGM870412MDFRRR94"}

    # When it is adapted
    # Then the national id claim is the document's
    assert case.adapt(body).citizen.national_id == "HEGM870412MDFRRR02"


def test_office_curp_card_number_is_the_national_id() -> None:
    # Given a citizen who showed a CURP card, recorded only as its number
    case = BY_CHANNEL[Channel.OFFICE]
    body = {**case.event(), "presented_document": {"type": "curp", "number": "CAOL920815HDFSRS03"}}

    # When it is adapted
    # Then the CURP is claimed as the national id
    assert case.adapt(body).citizen.national_id == "CAOL920815HDFSRS03"


def test_office_typed_curp_is_used_when_no_document_gives_one() -> None:
    # Given a visit where the clerk typed the CURP and the citizen showed a passport
    case = BY_CHANNEL[Channel.OFFICE]
    body = case.event()
    body["presented_document"] = {"type": "passport", "number": "G12345678"}
    body["person"] = {**body["person"], "national_id": "HEGM870412MDFRRR02"}

    # When it is adapted
    touchpoint = case.adapt(body)

    # Then the typed CURP is claimed and the document is described in the details
    assert touchpoint.citizen.national_id == "HEGM870412MDFRRR02"
    assert (touchpoint.details["document_type"], touchpoint.details["document_number"]) == ("passport", "G12345678")
