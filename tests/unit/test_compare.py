"""Field comparators: how well a touchpoint's value agrees with what a candidate citizen is known to have said."""

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.identity.compare import (
    Level,
    compare_addresses_line,
    compare_birth_dates,
    compare_exact,
    compare_family_names,
    compare_given_names,
    compare_localities,
    compare_national_ids,
    compare_postal_codes,
)
from shared.identity.normalise import (
    is_valid_curp,
    normalise_address_line,
    normalise_family_names,
    normalise_given_names,
    normalise_locality,
    normalise_national_id,
    normalise_postal_code,
)

pytestmark = pytest.mark.unit

VALID_CURP = "HEGM870412MDFRRR02"


def given_level(one: str, other: str) -> Level:
    return compare_given_names(normalise_given_names(one), [normalise_given_names(other)])


def family_level(one: str, other: str) -> Level:
    return compare_family_names(normalise_family_names(one), [normalise_family_names(other)])


def test_levels_are_ordered_from_missing_to_exact() -> None:
    assert Level.MISSING < Level.DIFFERENT < Level.CLOSE < Level.EXACT
    assert max([Level.CLOSE, Level.MISSING, Level.DIFFERENT]) is Level.CLOSE


# --- Given names --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other", "level"),
    [
        ("Ma. José", "María José", Level.EXACT),
        ("MARIA JOSE", "María José", Level.EXACT),
        ("Fco. Javier", "Francisco Javier", Level.EXACT),
        ("María José", "María", Level.CLOSE),  # the second name dropped
        ("María Guadalupe", "Guadalupe", Level.CLOSE),  # the devotional "María" dropped, as people do
        ("José Luis", "Luis", Level.CLOSE),
        ("José María", "María José", Level.CLOSE),  # swapped
        ("J. Luis", "José Luis", Level.CLOSE),  # an initial
        ("María J.", "María José", Level.CLOSE),
        ("María Ángeles", "María de los Ángeles", Level.CLOSE),  # particles left out
        ("María José", "Maria Josse", Level.CLOSE),  # a typo
        ("Jesús", "Jesus", Level.EXACT),
        ("Juan Carlos", "José Luis", Level.DIFFERENT),  # twins
        ("María Elena", "María Eugenia", Level.DIFFERENT),  # sisters: "María " does not make them alike
        ("Juan Pablo", "Juan Carlos", Level.DIFFERENT),  # brothers
        ("Alejandro", "Alejandra", Level.DIFFERENT),  # twins of opposite sex
        ("Juan", "Juana", Level.DIFFERENT),
        ("Daniel", "Daniela", Level.DIFFERENT),
        ("Guadalupe", "María", Level.DIFFERENT),
        ("Mzría", "María", Level.CLOSE),  # one key wrong
        ("Brenda", "Vrenda", Level.CLOSE),  # even the first letter
        ("Marriana Fernanda", "Mariana", Level.CLOSE),  # a doubled letter, the second name dropped
        ("Carlso", "Carlos", Level.CLOSE),  # two letters swapped
        ("Ana", "Ada", Level.DIFFERENT),  # short names one letter apart are other names
        ("Pepe", "José", Level.CLOSE),  # everyday short forms
        ("Lupita", "María Guadalupe", Level.CLOSE),
        ("Paco", "Francisco Javier", Level.CLOSE),
        ("Pepe", "Juan", Level.DIFFERENT),
    ],
)
def test_given_names(one: str, other: str, level: Level) -> None:
    assert given_level(one, other) is level


def test_given_names_take_the_best_of_the_spellings_on_record() -> None:
    # Given a citizen recorded as "Lupita" once and "María Guadalupe" later
    records = [normalise_given_names("Lupita"), normalise_given_names("María Guadalupe")]
    # When a touchpoint says "Ma. Gpe."
    # Then the best agreement counts
    assert compare_given_names(normalise_given_names("Ma. Gpe."), records) is Level.EXACT


def test_missing_given_names() -> None:
    assert compare_given_names((), [("maria",)]) is Level.MISSING
    assert compare_given_names(("maria",), []) is Level.MISSING
    assert compare_given_names(("maria",), [()]) is Level.MISSING


# --- Family names -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other", "level"),
    [
        ("Hernandez Garcia", "Hernández García", Level.EXACT),
        ("Hdez. García", "Hernández García", Level.EXACT),
        ("de la Cruz Pérez", "De La Cruz Perez", Level.EXACT),
        ("Hernández García", "García Hernández", Level.CLOSE),  # swapped
        ("Hernández", "Hernández García", Level.CLOSE),  # second surname not given
        ("Hernandes Garsia", "Hernández García", Level.CLOSE),  # typos
        ("Hernandes", "García Hernández", Level.CLOSE),  # a typo of one of the surnames
        ("Hernández García", "Hernández Garza", Level.DIFFERENT),  # cousins share one surname
        ("López Pérez", "Hernández García", Level.DIFFERENT),
        ("Cruz", "de la Cruz", Level.CLOSE),
    ],
)
def test_family_names(one: str, other: str, level: Level) -> None:
    assert family_level(one, other) is level


# --- Birth dates --------------------------------------------------------------------------------------------------

BORN = date(1987, 4, 12)


@pytest.mark.parametrize(
    ("other", "level"),
    [
        (date(1987, 4, 12), Level.EXACT),
        (date(1987, 12, 4), Level.CLOSE),  # day and month swapped
        (date(1978, 4, 12), Level.CLOSE),  # year digits transposed
        (date(1988, 4, 12), Level.CLOSE),  # one year digit mistyped
        (date(1987, 4, 21), Level.CLOSE),  # day digits transposed
        (date(1987, 4, 13), Level.CLOSE),
        (date(1987, 3, 12), Level.CLOSE),
        (date(1987, 5, 13), Level.DIFFERENT),  # two fields differ
        (date(1990, 4, 12), Level.DIFFERENT),  # two year digits differ
        (date(1987, 4, 28), Level.DIFFERENT),
    ],
)
def test_birth_dates(other: date, level: Level) -> None:
    assert compare_birth_dates(BORN, [other]) is level


def test_birth_date_missing_on_either_side() -> None:
    assert compare_birth_dates(None, [BORN]) is Level.MISSING
    assert compare_birth_dates(BORN, []) is Level.MISSING


# --- Identifiers --------------------------------------------------------------------------------------------------


def test_exact_identifiers() -> None:
    assert compare_exact("+525512345678", ["+525587654321", "+525512345678"]) is Level.EXACT
    assert compare_exact("+525512345678", ["+525587654321"]) is Level.DIFFERENT
    assert compare_exact(None, ["+525512345678"]) is Level.MISSING
    assert compare_exact("", ["+525512345678"]) is Level.MISSING
    assert compare_exact("+525512345678", []) is Level.MISSING


def test_a_single_string_is_refused_as_the_candidates_values() -> None:
    # A plain string would be compared character by character: a silent wrong answer, so it is refused
    with pytest.raises(TypeError):
        compare_exact("a@example.mx", "a@example.mx")


@pytest.mark.parametrize(
    ("other", "level"),
    [
        (VALID_CURP, Level.EXACT),
        ("HEGM870412MDFRRR05", Level.CLOSE),  # a mistyped check digit
        ("HEGM870412MDFRRR20", Level.CLOSE),  # the last two characters swapped
        ("HEGM780412MDFRRR02", Level.CLOSE),  # year digits swapped
        ("HEGM870412MDFRRN09", Level.DIFFERENT),  # two characters differ
        ("HEGM870412MDFRR02", Level.DIFFERENT),  # a character missing: not the same length
    ],
)
def test_national_ids(other: str, level: Level) -> None:
    assert compare_national_ids(VALID_CURP, [other]) is level


def test_two_valid_curps_differing_only_in_the_homoclave_are_two_people() -> None:
    # Given two valid CURPs that differ only in the homoclave, which RENAPO assigns to homonyms
    homonym = "HEGM870412MDFRRR52"
    assert is_valid_curp(VALID_CURP) and is_valid_curp(homonym)
    # Then they are not a typo of each other
    assert compare_national_ids(VALID_CURP, [homonym]) is Level.DIFFERENT
    # But a mistyped homoclave that breaks the check digit is still close
    assert compare_national_ids(VALID_CURP, ["HEGM870412MDFRRR12"]) is Level.CLOSE


def test_numeric_ids_from_other_registries_compare_too() -> None:
    assert compare_national_ids("1234567890", ["1234567809"]) is Level.CLOSE
    assert compare_national_ids("1234567890", ["9876543210"]) is Level.DIFFERENT


# --- Addresses ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other", "level"),
    [
        ("06000", "06000", Level.EXACT),
        ("06000", "06001", Level.CLOSE),
        ("06000", "60000", Level.CLOSE),  # neighbours swapped
        ("06000", "06700", Level.CLOSE),
        ("06000", "44100", Level.DIFFERENT),
    ],
)
def test_postal_codes(one: str, other: str, level: Level) -> None:
    assert compare_postal_codes(one, [other]) is level


def test_postal_code_without_its_leading_zero_is_the_same() -> None:
    assert (
        compare_postal_codes(normalise_postal_code("6000"), [normalise_postal_code("C.P. 06000") or ""]) is Level.EXACT
    )


@pytest.mark.parametrize(
    ("one", "other", "level"),
    [
        ("Alcaldía Cuauhtémoc", "cuauhtemoc", Level.EXACT),
        ("Cuauhtémoc", "Cuahutemoc", Level.CLOSE),
        ("Col. Roma Norte", "Roma Sur", Level.DIFFERENT),
        ("Coyoacán", "Tlalpan", Level.DIFFERENT),
    ],
)
def test_localities(one: str, other: str, level: Level) -> None:
    assert compare_localities(normalise_locality(one), [normalise_locality(other) or ""]) is level


@pytest.mark.parametrize(
    ("one", "other", "level"),
    [
        ("Av. Reforma No. 123", "avenida reforma 123", Level.EXACT),
        ("Av. Reforma 123", "Reforma 123", Level.CLOSE),
        ("Calle Morelos 45", "Morelos 45", Level.EXACT),  # "calle" is the street type people leave out
        ("Morelos 45", "Morelos 45 Int. 2", Level.CLOSE),
        ("Reforma 123", "Reforma 125", Level.DIFFERENT),  # the neighbours
        ("Insurgentes Sur 1602", "Insurgentes Sur 1620", Level.DIFFERENT),
        ("Juárez 12", "Hidalgo 12", Level.DIFFERENT),
    ],
)
def test_street_lines(one: str, other: str, level: Level) -> None:
    assert compare_addresses_line(one, [other]) is level


# --- Properties ---------------------------------------------------------------------------------------------------

NAMES = ["María", "Ma.", "José", "J.", "Juan", "Juana", "Luis", "Guadalupe", "Gpe", "de", "la", "los", "Ángeles", "y"]
SURNAMES = ["Hernández", "Hernandes", "García", "Garza", "de", "la", "Cruz", "Pérez", "Hdez", "López", "y"]
name_text = st.lists(st.sampled_from(NAMES), max_size=4).map(" ".join)
surname_text = st.lists(st.sampled_from(SURNAMES), max_size=4).map(" ".join)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))
ids = st.text(alphabet="ABCDEHGMR0123456789", min_size=10, max_size=18)
postal = st.text(alphabet="0123456789", min_size=5, max_size=5)
places = st.text(alphabet="abcdeilmnorstuvz ", min_size=1, max_size=15)
streets = st.lists(
    st.sampled_from(["Av.", "Reforma", "Juárez", "12", "123", "125", "Int.", "4", "No.", "S/N"]), max_size=5
)

Comparator = Callable[[Any, Iterable[Any]], Level]


@given(name_text, name_text)
def test_given_name_comparison_is_symmetric_and_exact_only_when_equal(one: str, other: str) -> None:
    a, b = normalise_given_names(one), normalise_given_names(other)
    level = compare_given_names(a, [b])
    assert level is compare_given_names(b, [a])
    assert (level is Level.EXACT) == (bool(a) and a == b)
    assert (level is Level.MISSING) == (not a or not b)


@given(surname_text, surname_text)
def test_family_name_comparison_is_symmetric_and_exact_only_when_equal(one: str, other: str) -> None:
    a, b = normalise_family_names(one), normalise_family_names(other)
    level = compare_family_names(a, [b])
    assert level is compare_family_names(b, [a])
    assert (level is Level.EXACT) == (bool(a) and a == b)
    assert (level is Level.MISSING) == (not a or not b)


@given(dates, dates)
def test_birth_date_comparison_is_symmetric_and_exact_only_when_equal(one: date, other: date) -> None:
    level = compare_birth_dates(one, [other])
    assert level is compare_birth_dates(other, [one])
    assert (level is Level.EXACT) == (one == other)


@pytest.mark.parametrize(
    ("compare", "values", "normalise"),
    [
        (compare_national_ids, ids, normalise_national_id),
        (compare_postal_codes, postal, normalise_postal_code),
        (compare_localities, places, normalise_locality),
        (compare_exact, places, lambda v: v),
    ],
)
@given(data=st.data())
def test_string_comparisons_are_symmetric_and_exact_only_when_equal(
    compare: Comparator, values: st.SearchStrategy[str], normalise: Callable[[str], str | None], data: st.DataObject
) -> None:
    a, b = normalise(data.draw(values)), normalise(data.draw(values))
    if a is None or b is None:
        assert compare(a, [b] if b else []) is Level.MISSING
        return
    level = compare(a, [b])
    assert level is compare(b, [a])
    assert (level is Level.EXACT) == (a == b)


@given(streets.map(" ".join), streets.map(" ".join))
def test_street_comparison_is_symmetric_and_exact_only_when_equal_once_normalised(one: str, other: str) -> None:
    level = compare_addresses_line(one, [other])
    assert level is compare_addresses_line(other, [one])
    a, b = normalise_address_line(one), normalise_address_line(other)
    assert (level is Level.EXACT) == (a is not None and a == b)


@given(st.lists(dates, max_size=5), dates)
def test_best_over_the_collection_is_the_best_single_comparison(known: list[date], seen: date) -> None:
    expected = max((compare_birth_dates(seen, [k]) for k in known), default=Level.MISSING)
    assert compare_birth_dates(seen, known) is expected
