"""Normalisation: the same identifier typed differently becomes one value."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.identity.normalise import (
    identifiers_from_claims,
    normalise_email,
    normalise_handle,
    normalise_identifier,
    normalise_phone,
)
from shared.models.citizen import IdentifierKind
from shared.models.touchpoint import CitizenClaims, SocialAccount

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "raw",
    [
        "55 1234 5678",
        "5512345678",
        "(55) 1234-5678",
        "+52 55 1234 5678",
        "52 55 1234 5678",
        "044 55 1234 5678",
        "045 55 1234 5678",
        "+521 55 1234 5678",
        "5215512345678",
    ],
)
def test_mexican_phone_forms_are_one_number(raw: str) -> None:
    assert normalise_phone(raw, "MX") == "+525512345678"


@pytest.mark.parametrize("raw", ["", "123", "no tengo", "+52 55"])
def test_impossible_phone_is_dropped(raw: str) -> None:
    assert normalise_phone(raw, "MX") is None


def test_foreign_number_keeps_its_country() -> None:
    assert normalise_phone("+1 202 555 0143", "MX") == "+12025550143"


@given(st.sampled_from(["55 1234 5678", "+52 55 1234 5678", "044 55 1234 5678"]), st.sampled_from(["", " ", "  "]))
def test_phone_normalisation_ignores_surrounding_space(raw: str, pad: str) -> None:
    assert normalise_phone(pad + raw + pad) == normalise_phone(raw)


@given(st.text(max_size=40))
def test_phone_normalisation_is_total_and_idempotent(raw: str) -> None:
    value = normalise_phone(raw)
    assert value is None or (value.startswith("+") and normalise_phone(value) == value)


def test_email_is_trimmed_and_lower_cased() -> None:
    assert normalise_email("  MJ.Hernandez@Example.MX ") == "mj.hernandez@example.mx"
    assert normalise_email("not-an-email") is None


def test_handle_ignores_at_sign_and_case() -> None:
    assert normalise_handle("Facebook", "@MJHG87") == "facebook:mjhg87"


def test_claims_yield_identifiers_strongest_first() -> None:
    claims = CitizenClaims(
        phone="55 1234 5678",
        email="a@example.mx",
        national_id="hegm870412mdfrrr05",
        login_subject="sso|1",
        social=SocialAccount(platform="instagram", handle="ana"),
    )
    kinds = [i.kind for i in identifiers_from_claims(claims)]
    assert kinds == [
        IdentifierKind.LOGIN_SUBJECT,
        IdentifierKind.NATIONAL_ID,
        IdentifierKind.EMAIL,
        IdentifierKind.PHONE,
        IdentifierKind.SOCIAL,
    ]
    assert identifiers_from_claims(claims)[1].value == "HEGM870412MDFRRR05"


def test_search_query_handle_needs_platform() -> None:
    assert normalise_identifier(IdentifierKind.SOCIAL, "facebook:@mjhg87").value == "facebook:mjhg87"
    assert normalise_identifier(IdentifierKind.SOCIAL, "mjhg87") is None
