"""Normalisation: the same identifier typed differently becomes one value."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.identity.normalise import (
    fold,
    identifiers_from_claims,
    is_valid_curp,
    normalise_address_line,
    normalise_email,
    normalise_family_names,
    normalise_given_names,
    normalise_handle,
    normalise_identifier,
    normalise_locality,
    normalise_national_id,
    normalise_phone,
    normalise_postal_code,
    phonetic_key,
    split_display_name,
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


# --- National ids -------------------------------------------------------------------------------------------------

VALID_CURP = "HEGM870412MDFRRR02"  # check digit computed with stdnum.mx.curp.calc_check_digit


def test_valid_curp_validates_in_any_typing() -> None:
    # Given a CURP with a correct check digit, typed in capitals, lower case or with separators
    # Then each form validates
    for typed in (VALID_CURP, VALID_CURP.lower(), "HEGM-870412-MDFRRR-02", " hegm870412mdfrrr02 "):
        assert is_valid_curp(typed)


@pytest.mark.parametrize(
    "value",
    [
        "HEGM870412MDFRRR05",  # one wrong check digit
        "HEGM871312MDFRRR02",  # month 13
        "HEGM870412XDFRRR02",  # sex neither H nor M
        "HEGM870412MZZRRR02",  # no such state
        "HEGM870412MDFRRR0",  # too short
        "12345678901",  # a FEBRL-style numeric id
        "",
    ],
)
def test_wrong_curp_does_not_validate(value: str) -> None:
    assert not is_valid_curp(value)


def test_national_id_stays_lenient_for_evidence() -> None:
    # Given a mistyped CURP and a numeric id from another registry
    # Then both are still usable identifiers, even though neither is a valid CURP
    assert normalise_national_id("hegm870412mdfrrr05") == "HEGM870412MDFRRR05"
    assert normalise_national_id("1234 5678 90") == "1234567890"
    assert normalise_national_id("6988048") == "6988048"  # a 7-digit social security number (FEBRL)
    assert normalise_national_id("1234") is None
    assert normalise_national_id("ÑÑÑÑÑÑ") is None


# --- Folding and names --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("María José  HERNÁNDEZ-García", "maria jose hernandez garcia"),
        ("  Peña Ñúñez ", "pena nunez"),
        ("Güereca", "guereca"),
        ("O'Farrill", "ofarrill"),
        ("Mª", "ma"),
        ("calle_5 #12", "calle 5 12"),
        ("...", ""),
    ],
)
def test_fold_ignores_accents_case_and_punctuation(raw: str, folded: str) -> None:
    assert fold(raw) == folded


@given(st.text(max_size=30))
def test_fold_is_idempotent_and_tidy(raw: str) -> None:
    folded = fold(raw)
    assert fold(folded) == folded
    assert folded == folded.strip()
    assert "  " not in folded


@pytest.mark.parametrize(
    ("raw", "tokens"),
    [
        ("Ma. José", ("maria", "jose")),
        ("MA JOSE", ("maria", "jose")),
        ("Mª José", ("maria", "jose")),
        ("M.ª José", ("maria", "jose")),
        ("Fco. Javier", ("francisco", "javier")),
        ("Ma. Gpe.", ("maria", "guadalupe")),
        ("Jse. Luis", ("jose", "luis")),
        ("J. Luis", ("j", "luis")),
        ("María de los Ángeles", ("maria", "de los angeles")),
        ("Ma. de la Luz", ("maria", "de la luz")),
        ("María Y.", ("maria", "y")),
        ("María de", ("maria",)),
        ("Del Carmen", ("del carmen",)),
        ("", ()),
        (None, ()),
        (" - ", ()),
    ],
)
def test_given_names_expand_abbreviations_and_keep_particles_with_their_name(
    raw: str | None, tokens: tuple[str, ...]
) -> None:
    assert normalise_given_names(raw) == tokens


@pytest.mark.parametrize(
    ("raw", "tokens"),
    [
        ("Hernández García", ("hernandez", "garcia")),
        ("de la Cruz Pérez", ("de la cruz", "perez")),
        ("Del Valle", ("del valle",)),
        ("Ortega y Gasset", ("ortega", "y gasset")),
        ("Hdez. Glez.", ("hernandez", "gonzalez")),
        ("MTZ RDZ", ("martinez", "rodriguez")),
        ("Ma", ("ma",)),  # given-name abbreviations do not apply to surnames
        (None, ()),
    ],
)
def test_family_names_join_particles_to_the_surname(raw: str | None, tokens: tuple[str, ...]) -> None:
    assert normalise_family_names(raw) == tokens


NAME_WORDS = st.sampled_from(
    ["María", "Ma.", "José", "J.", "de", "la", "los", "y", "Y", "Ángeles", "Cruz", "Hdez", "Fco"]
)


@given(st.lists(NAME_WORDS, max_size=6).map(" ".join))
def test_name_tokens_are_stable_when_normalised_again(raw: str) -> None:
    # Given names already normalised (as stored on a citizen), normalising them again changes nothing
    given, family = normalise_given_names(raw), normalise_family_names(raw)
    assert normalise_given_names(" ".join(given)) == given
    assert normalise_family_names(" ".join(family)) == family


# --- Phonetic key -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Hernández", "Hernandes"),
        ("Vázquez", "Basques"),
        ("Gonzalez", "Gonsales"),
        ("Yolanda", "Llolanda"),
        ("Jiménez", "Ximenez"),
        ("Herrera", "Errera"),
        ("Castillo", "Castiyo"),
        ("Quintero", "Kintero"),
        ("Cervantes", "Servantes"),
        ("Huerta", "Werta"),
        ("Rafael", "Raphael"),
        ("De la Cruz", "Delacruz"),
    ],
)
def test_spellings_that_sound_alike_share_a_phonetic_key(one: str, other: str) -> None:
    assert phonetic_key(one) == phonetic_key(other)


@pytest.mark.parametrize(
    ("one", "other"), [("García", "Garza"), ("Luis", "Luz"), ("Guerra", "Gerra"), ("Mora", "Mira")]
)
def test_different_sounds_keep_different_phonetic_keys(one: str, other: str) -> None:
    assert phonetic_key(one) != phonetic_key(other)


SPANISH_LETTERS = st.text(alphabet="abcdefghijklmnñopqrstuvwxyzáéíóúüABCHLLQUXYZÁÉÑ '-", max_size=20)


@given(SPANISH_LETTERS)
def test_phonetic_key_is_a_fixed_point_independent_of_accents_and_case(raw: str) -> None:
    key = phonetic_key(raw)
    assert phonetic_key(key) == key
    assert phonetic_key(fold(raw)) == key
    assert phonetic_key(raw.upper()) == key


@given(st.text(max_size=20))
def test_phonetic_key_is_total_and_idempotent_on_any_text(raw: str) -> None:
    key = phonetic_key(raw)
    assert phonetic_key(key) == key
    assert " " not in key


# --- Addresses ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("06000", "06000"),
        ("6000", "06000"),  # the leading zero people drop
        ("C.P. 06000", "06000"),
        ("cp 44100", "44100"),
        ("Código postal: 06000", "06000"),
        ("44-100", "44100"),
        ("00123", None),  # no Mexican code starts with 00
        ("123456", None),
        ("sin código", None),
        ("", None),
        (None, None),
    ],
)
def test_mexican_postal_codes(raw: str | None, code: str | None) -> None:
    assert normalise_postal_code(raw) == code


def test_postal_codes_of_other_regions_keep_their_own_form() -> None:
    # Given FEBRL-style Australian and Canadian postcodes
    # Then they are not padded as if Mexican
    assert normalise_postal_code("2612", region="AU") == "2612"
    assert normalise_postal_code("k1a 0b6", region="CA") == "K1A0B6"
    assert normalise_postal_code("no", region="AU") is None


@given(st.text(alphabet="0123456789 .-CPcp", max_size=12), st.sampled_from(["MX", "AU"]))
def test_postal_code_normalisation_is_idempotent(raw: str, region: str) -> None:
    code = normalise_postal_code(raw, region)
    assert code is None or normalise_postal_code(code, region) == code


@pytest.mark.parametrize(
    ("raw", "locality"),
    [
        ("Col. Roma Norte", "roma norte"),
        ("COLONIA Del Valle", "del valle"),
        ("Alcaldía Cuauhtémoc", "cuauhtemoc"),
        ("Municipio de Ecatepec", "ecatepec"),
        ("Cd. Juárez", "ciudad juarez"),
        ("Sta. María la Ribera", "santa maria la ribera"),
        ("CDMX", "ciudad de mexico"),
        ("México, D.F.", "ciudad de mexico"),
        ("Colonia", None),
        (None, None),
    ],
)
def test_locality_drops_the_kind_of_place(raw: str | None, locality: str | None) -> None:
    assert normalise_locality(raw) == locality


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        ("Av. Juárez No. 12", "avenida juarez 12"),
        ("Calle Morelos S/N", "morelos sn"),
        ("Av. Reforma #123 Int. 4", "avenida reforma 123 interior 4"),
        ("Calz. de Tlalpan N° 500", "calzada de tlalpan 500"),
        ("#", None),
    ],
)
def test_street_line_expands_abbreviations(raw: str, line: str | None) -> None:
    assert normalise_address_line(raw) == line


@given(st.text(max_size=30))
def test_locality_and_street_normalisation_are_idempotent(raw: str) -> None:
    for normalise in (normalise_locality, normalise_address_line):
        value = normalise(raw)
        assert value is None or normalise(value) == value


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jorge Alberto Ramírez Soto", ("Jorge Alberto", "Ramírez Soto")),
        ("Juan Pérez", ("Juan", "Pérez")),
        ("Ana de la Cruz", ("Ana", "de la Cruz")),
        ("María de los Ángeles Pérez de la Torre", ("María de los Ángeles", "Pérez de la Torre")),
        ("Ramírez Soto, Jorge", ("Jorge", "Ramírez Soto")),
        ("Familia Díaz Ramírez", (None, "Díaz Ramírez")),
        ("Lupita", ("Lupita", None)),
        ("jorge.ramirez@example.com", (None, None)),
        ("  ", (None, None)),
        (None, (None, None)),
    ],
)
def test_display_name_splits_into_given_names_and_surnames(raw: str | None, expected: tuple) -> None:
    assert split_display_name(raw) == expected


@given(st.text(max_size=60))
def test_display_name_split_is_total_and_keeps_the_words(raw: str) -> None:
    given_names, surnames = split_display_name(raw)
    kept = " ".join(p for p in (given_names, surnames) if p)
    assert set(kept.replace(",", " ").split()) <= set(raw.replace(",", " ").replace('"', " ").split())
