"""samples/seed.jsonl, the sample `ventanilla up` seeds: valid bodies that show cross-channel recognition."""

from __future__ import annotations

import importlib
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from shared.identity.normalise import identifiers_from_claims, normalise_phone
from shared.models.touchpoint import Channel, Touchpoint

pytestmark = pytest.mark.unit

SEED = Path(__file__).resolve().parents[2] / "samples" / "seed.jsonl"
REQUEST_MODELS = {
    Channel.PHONE: "PhoneTouchpointRequest",
    Channel.MESSAGING: "MessagingTouchpointRequest",
    Channel.EMAIL: "EmailTouchpointRequest",
    Channel.CHAT: "ChatTouchpointRequest",
    Channel.SOCIAL: "SocialTouchpointRequest",
    Channel.WEB: "WebTouchpointRequest",
    Channel.MOBILE: "MobileTouchpointRequest",
    Channel.OFFICE: "OfficeTouchpointRequest",
}
PHONE_KEYS = {"phone", "caller_number", "dialed_number", "from_number", "to_number"}


def _lines() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]


ALL_LINES = _lines()
LINES = [line for line in ALL_LINES if "channel" in line]  # the rest are operator actions on the case API
OPERATOR_LINES = [line["operator"] for line in ALL_LINES if "operator" in line]


def _request_model(channel: Channel) -> type[BaseModel]:
    model: type[BaseModel] = getattr(
        importlib.import_module(f"functions.{channel.value}.models"), REQUEST_MODELS[channel]
    )
    return model


def _touchpoint(line: dict[str, Any]) -> Touchpoint:
    channel = Channel(line["channel"])
    request = _request_model(channel).model_validate(line["body"])
    touchpoint: Touchpoint = importlib.import_module(f"functions.{channel.value}.adapter").to_touchpoint(request)
    return touchpoint


def _phones(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in PHONE_KEYS and isinstance(item, str):
                yield item
            else:
                yield from _phones(item)
    elif isinstance(value, list):
        for item in value:
            yield from _phones(item)


@pytest.mark.parametrize("line", LINES, ids=[f"line{n}-{line['channel']}" for n, line in enumerate(LINES, 1)])
def test_every_line_is_a_valid_body_of_its_channel(line: dict[str, Any]) -> None:
    # Given one line of the sample
    assert set(line) == {"channel", "body"}

    # When its body is validated with the channel's request model and adapted
    touchpoint = _touchpoint(line)

    # Then it is a touchpoint of that channel, in 2026, with a UTC offset
    assert touchpoint.channel.value == line["channel"]
    assert touchpoint.occurred_at.year == 2026
    assert touchpoint.occurred_at.utcoffset() is not None


def test_sample_size_and_every_channel_at_least_twice() -> None:
    # Given the sample
    # When its lines are counted per channel
    per_channel = Counter(Channel(line["channel"]) for line in LINES)

    # Then it is small enough to read, and every channel shows up at least twice
    assert 24 <= len(LINES) <= 36
    assert {channel: per_channel[channel] >= 2 for channel in Channel} == dict.fromkeys(Channel, True)


def test_operator_actions_are_case_api_calls() -> None:
    assert OPERATOR_LINES, "the sample shows an operator completing an agency step"
    for action in OPERATOR_LINES:
        assert action["method"] == "POST" and action["path"].startswith("/v1/cases/")
        assert {"channel", "actor"} <= set(action["body"])


def test_cases_cross_channels_from_office_to_whatsapp_phone_and_web() -> None:
    by_reference: dict[str, list[str]] = {}
    for line in LINES:
        reference = (line["body"].get("case") or {}).get("reference")
        if reference:
            by_reference.setdefault(reference, []).append(line["channel"])
    # María's licence and Carmen's birth certificate start at an office and go through WhatsApp, phone and web
    for reference in ("LIC-2026-000123", "ACT-2026-018455"):
        assert by_reference[reference][0] == "office"
        assert {"messaging", "phone", "web"} <= set(by_reference[reference])


def test_every_line_is_a_distinct_touchpoint() -> None:
    # Given the sample
    # When each line is adapted
    ids = [_touchpoint(line).touchpoint_id for line in LINES]

    # Then no two lines collapse into one touchpoint on seeding
    assert len(set(ids)) == len(LINES)


def test_every_phone_in_the_sample_normalises() -> None:
    # Given every phone-like field in the sample (citizens' and the agency's numbers)
    phones = [phone for line in LINES for phone in _phones(line["body"])]
    assert len(phones) >= 15  # the walk found them: every call and message has at least one

    # When each is normalised for Mexico
    # Then none is dropped as invalid
    assert [phone for phone in phones if normalise_phone(phone) is None] == []


def test_written_variants_of_one_number_are_one_phone() -> None:
    # Given the ways María José's number is written across the sample
    variants = {
        phone for line in LINES for phone in _phones(line["body"]) if phone.replace(" ", "").endswith("5512345678")
    }

    # When they are normalised
    # Then there are several spellings but one number
    assert len(variants) >= 4
    assert {normalise_phone(phone) for phone in variants} == {"+525512345678"}


def test_people_recur_across_channels_by_exact_identifier() -> None:
    # Given the touchpoints of the sample, grouped by shared normalised identifiers (as the linker would)
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    groups: dict[str, set[Channel]] = {}
    keyed: list[tuple[Channel, list[str]]] = []
    for line in LINES:
        touchpoint = _touchpoint(line)
        keys = [identifier.key for identifier in identifiers_from_claims(touchpoint.citizen)]
        keyed.append((touchpoint.channel, keys))
        for other in keys[1:]:
            parent[root(other)] = root(keys[0])
    for channel, keys in keyed:
        if keys:
            groups.setdefault(root(keys[0]), set()).add(channel)

    # When the groups are counted
    recurring = [channels for channels in groups.values() if len(channels) >= 2]
    anonymous = sum(1 for _, keys in keyed if not keys)

    # Then 6-8 people are recognised on two channels or more, and a few touchpoints carry no identifier
    assert 6 <= len(recurring) <= 8
    assert 1 <= anonymous <= 3
    # And María José (office, then calls and WhatsApp with other spellings of her number) is one person
    maria = groups[root("national_id#HEGM870412MDFRRR02")]
    assert {Channel.OFFICE, Channel.PHONE, Channel.MESSAGING} <= maria
