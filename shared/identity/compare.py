"""Field comparators for identity resolution: how well one value agrees with what a candidate is known to have said.

Every comparator takes the touchpoint's value and the candidate's collection of known values (a citizen may have
several spellings, numbers or addresses on record) and returns the best `Level` over that collection; MISSING when
either side knows nothing. Values are expected in the form `shared.identity.normalise` gives them (name token
tuples, E.164 phones, upper-case ids, folded localities); street lines are normalised here, idempotently.

Pure and cheap: they run for about ten candidates per touchpoint. String similarity is `rapidfuzz`'s
(Jaro-Winkler, optimal string alignment, token-set ratio).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from enum import IntEnum
from typing import TypeVar

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, JaroWinkler

from shared.identity.normalise import is_valid_curp, normalise_address_line

T = TypeVar("T")

GIVEN_NAME_SIMILARITY = 0.90
FAMILY_NAME_SIMILARITY = 0.92
FAMILY_TOKEN_SIMILARITY = 0.90
LOCALITY_SIMILARITY = 0.90
STREET_TOKEN_SET_RATIO = 90.0
# First names so often dropped in everyday use that "Guadalupe" is the "María Guadalupe" of the records.
DEVOTIONAL_FIRST_NAMES = frozenset({"maria", "jose"})
# Everyday Mexican short forms of given names ("Pepe" signs for José): CLOSE, never EXACT.
GIVEN_NICKNAMES: dict[str, frozenset[str]] = {
    nickname: frozenset(names.split())
    for nickname, names in {
        "pepe": "jose",
        "chepe": "jose",
        "paco": "francisco",
        "pancho": "francisco",
        "lupe": "guadalupe",
        "lupita": "guadalupe",
        "chucho": "jesus",
        "memo": "guillermo",
        "lalo": "eduardo",
        "nacho": "ignacio",
        "tono": "antonio",
        "beto": "alberto roberto humberto",
        "quique": "enrique",
        "rafa": "rafael",
        "chema": "jose maria",
        "chayo": "rosario",
        "chelo": "consuelo",
        "chela": "graciela",
        "concha": "concepcion",
        "conchita": "concepcion",
        "lola": "dolores",
        "lolita": "dolores",
        "pili": "pilar",
        "male": "maria elena",
        "maru": "maria eugenia",
        "mayte": "maria teresa",
        "tere": "teresa",
        "paty": "patricia",
        "vero": "veronica",
        "lety": "leticia",
        "ale": "alejandra alejandro",
        "fer": "fernanda fernando",
        "dani": "daniela daniel",
        "gaby": "gabriela",
        "juanjo": "juan jose",
    }.items()
}
MIN_TYPO_TOKEN = 5  # shorter names one letter apart are often different names (ana / ada, ivan / iván is accents)
CURP_HOMOCLAVE = 16  # index of the character RENAPO assigns to tell homonyms (same 16 characters) apart


class Level(IntEnum):
    """How two values agree; higher is better evidence of the same person."""

    MISSING = -1
    DIFFERENT = 0
    CLOSE = 1
    EXACT = 2


def _best(a: T | None, bs: Iterable[T], level_of: Callable[[T, T], Level]) -> Level:
    """The best level of `a` against any known value; empty values on either side do not count."""
    if isinstance(bs, str):
        raise TypeError("pass the candidate's values as a collection, not a single string")
    if a is None or a == "" or a == ():
        return Level.MISSING
    best = Level.MISSING
    for b in bs:
        if b is None or b == "" or b == ():
            continue
        best = max(best, level_of(a, b))
        if best is Level.EXACT:
            break
    return best


def _jaro_winkler(a: str, b: str) -> float:
    return float(JaroWinkler.normalized_similarity(a, b))


def _one_edit(a: str, b: str) -> bool:
    """Same length and one substitution or one swap of neighbours apart: the typos people make copying digits."""
    return len(a) == len(b) and OSA.distance(a, b, score_cutoff=1) == 1


def _without_common_start(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Both tuples after the tokens they share at the start ("maria elena", "maria eugenia" -> "elena", "eugenia").

    Similarity is measured on what differs: a shared "maria " would otherwise lift two sisters above any threshold.
    """
    shared = 0
    while shared < min(len(a), len(b)) and a[shared] == b[shared]:
        shared += 1
    return a[shared:], b[shared:]


# --- Names --------------------------------------------------------------------------------------------------------


def _core(token: str) -> str:
    """The word a token is about, without its particles: "de la cruz" -> "cruz"."""
    return token.rsplit(" ", 1)[-1]


def _is_initial_of(initial: str, name: str) -> bool:
    return len(initial) == 1 and len(name) > 1 and initial in (name[0], _core(name)[0])


def _agree(a: str, b: str) -> bool:
    """Equal tokens, with or without particles ("de los angeles", "angeles"), or an initial and a name it can
    stand for ("j", "jose"; "l", "de la luz")."""
    return _core(a) == _core(b) or _is_initial_of(a, b) or _is_initial_of(b, a)


def _nickname_of(a: str, b: str) -> bool:
    return b in GIVEN_NICKNAMES.get(a, ()) or a in GIVEN_NICKNAMES.get(b, ())


def _typo_of(a: str, b: str) -> bool:
    """One letter typed wrong, doubled, dropped or swapped ("mzria", "marriana", "carlso"), in a long enough name
    that is not the other gender's form of it (twins alejandro / alejandra)."""
    return (
        min(len(a), len(b)) >= MIN_TYPO_TOKEN and OSA.distance(a, b, score_cutoff=1) == 1 and not _gender_variants(a, b)
    )


def _given_agree(a: str, b: str) -> bool:
    return _agree(a, b) or _nickname_of(a, b) or _typo_of(a, b)


def _covered(short: tuple[str, ...], long: tuple[str, ...], agree: Callable[[str, str], bool] = _agree) -> bool:
    """Does every token of `short` agree with a different token of `long`? Whole words are paired first."""
    remaining = list(long)
    for token in sorted(short, key=len, reverse=True):
        if token in remaining:
            remaining.remove(token)
            continue
        match = next((r for r in remaining if agree(token, r)), None)
        if match is None:
            return False
        remaining.remove(match)
    return True


def _gender_variants(a: str, b: str) -> bool:
    """The masculine and feminine form of one name: alejandro/alejandra, juan/juana, daniel/daniela."""
    if len(a) == len(b) and a[:-1] == b[:-1] and {a[-1:], b[-1:]} == {"o", "a"}:
        return True
    short, long = sorted((a, b), key=len)
    return long == short + "a" and short[-1:] not in ("", "a", "e", "i", "o", "u")


def _given_level(a: tuple[str, ...], b: tuple[str, ...]) -> Level:
    if a == b:
        return Level.EXACT
    short, long = sorted((a, b), key=len)
    if len(short) == len(long):
        if _covered(a, b, _given_agree) or _covered(b, a, _given_agree):  # same names, other order, a typo
            return Level.CLOSE
    elif _covered(short, long, _given_agree) and (_given_agree(short[0], long[0]) or long[0] in DEVOTIONAL_FIRST_NAMES):
        return Level.CLOSE
    rest_a, rest_b = _without_common_start(a, b)
    if rest_a and rest_b:
        if len(rest_a) == len(rest_b) and any(_gender_variants(x, y) for x, y in zip(rest_a, rest_b, strict=True)):
            return Level.DIFFERENT
        if _jaro_winkler(" ".join(rest_a), " ".join(rest_b)) >= GIVEN_NAME_SIMILARITY:
            return Level.CLOSE
    return Level.DIFFERENT


def compare_given_names(a: tuple[str, ...], bs: Iterable[tuple[str, ...]]) -> Level:
    """Given-name token tuples (from `normalise_given_names`).

    EXACT: the same tokens in the same order. CLOSE: the same names in another order ("jose maria", "maria jose");
    one side's names all among the other's, starting with the same first name or dropping a leading "maria"/"jose"
    ("maria jose" ~ "maria", "maria guadalupe" ~ "guadalupe"); an initial where the other has the name ("j luis" ~
    "jose luis"); a name without its particles ("maria angeles" ~ "maria de los angeles"); or Jaro-Winkler >= 0.90
    on what follows the names both start with ("maria jose" ~ "maria josse"; "maria elena" and "maria eugenia" are
    sisters). DIFFERENT otherwise; the masculine and feminine forms of a name are never close by spelling (twins
    "alejandro" and "alejandra", "juan" and "juana").
    """
    return _best(a, bs, _given_level)


def _tokens_close(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    return all(any(_jaro_winkler(s, t) >= FAMILY_TOKEN_SIMILARITY for t in long) for s in short)


def _family_level(a: tuple[str, ...], b: tuple[str, ...]) -> Level:
    if a == b:
        return Level.EXACT
    # Particles are often left out ("Cruz" for "de la Cruz"): order and omissions are judged on the core words.
    short, long = sorted((tuple(map(_core, a)), tuple(map(_core, b))), key=len)
    if sorted(short) == sorted(long) or long[: len(short)] == short:
        return Level.CLOSE
    rest_a, rest_b = _without_common_start(a, b)
    if rest_a and rest_b and _jaro_winkler(" ".join(rest_a), " ".join(rest_b)) >= FAMILY_NAME_SIMILARITY:
        return Level.CLOSE
    if _tokens_close(short, long) and (len(short) < len(long) or _tokens_close(long, short)):
        return Level.CLOSE
    return Level.DIFFERENT


def compare_family_names(a: tuple[str, ...], bs: Iterable[tuple[str, ...]]) -> Level:
    """Surname token tuples (from `normalise_family_names`).

    EXACT: the same surnames in the same order. CLOSE: the same surnames swapped ("garcia hernandez" ~ "hernandez
    garcia"); one side giving only the first surname(s) of the other ("hernandez" ~ "hernandez garcia"); either
    of those with particles left out ("cruz" ~ "de la cruz");
    Jaro-Winkler >= 0.92 on what follows the surnames both start with; or each surname of the shorter side within
    Jaro-Winkler 0.90 of one of the other's ("hernandes" ~ "garcia hernandez"). DIFFERENT otherwise.
    """
    return _best(a, bs, _family_level)


# --- Birth dates and identifiers ----------------------------------------------------------------------------------


def _date_level(a: date, b: date) -> Level:
    if a == b:
        return Level.EXACT
    if a.year == b.year and (a.day, a.month) == (b.month, b.day):
        return Level.CLOSE
    fields = ((a.year, b.year, 4), (a.month, b.month, 2), (a.day, b.day, 2))
    differing = [(f"{x:0{width}d}", f"{y:0{width}d}") for x, y, width in fields if x != y]
    if len(differing) == 1 and _one_edit(*differing[0]):
        return Level.CLOSE
    return Level.DIFFERENT


def compare_birth_dates(a: date | None, bs: Iterable[date]) -> Level:
    """EXACT: the same day. CLOSE: day and month swapped (US order), or one of year, month, day differs by one
    mistyped or transposed digit (1987/1988, 1987/1978, day 12/13, 12/21). DIFFERENT otherwise."""
    return _best(a, bs, _date_level)


def _exact_level(a: str, b: str) -> Level:
    return Level.EXACT if a == b else Level.DIFFERENT


def compare_exact(a: str | None, bs: Iterable[str]) -> Level:
    """EXACT or DIFFERENT, for identifiers that are either right or someone else's: phone, email, login, handle."""
    return _best(a, bs, _exact_level)


def _national_id_level(a: str, b: str) -> Level:
    if a == b:
        return Level.EXACT
    if not _one_edit(a, b):
        return Level.DIFFERENT
    homonyms = a[:CURP_HOMOCLAVE] == b[:CURP_HOMOCLAVE] and a[CURP_HOMOCLAVE:] != b[CURP_HOMOCLAVE:]
    if len(a) == 18 and homonyms and is_valid_curp(a) and is_valid_curp(b):
        return Level.DIFFERENT
    return Level.CLOSE


def compare_national_ids(a: str | None, bs: Iterable[str]) -> Level:
    """Normalised national ids (CURP or other). EXACT: equal. CLOSE: same length, one substitution or one swap of
    neighbouring characters apart, except two valid CURPs that differ only in the homoclave, which RENAPO assigns
    precisely to tell two people apart. DIFFERENT otherwise."""
    return _best(a, bs, _national_id_level)


# --- Addresses ----------------------------------------------------------------------------------------------------


def _postal_level(a: str, b: str) -> Level:
    if a == b:
        return Level.EXACT
    return Level.CLOSE if _one_edit(a, b) else Level.DIFFERENT


def compare_postal_codes(a: str | None, bs: Iterable[str]) -> Level:
    """Normalised postal codes. EXACT: equal. CLOSE: one digit wrong or two neighbours swapped. DIFFERENT otherwise."""
    return _best(a, bs, _postal_level)


def _locality_level(a: str, b: str) -> Level:
    if a == b:
        return Level.EXACT
    return Level.CLOSE if _jaro_winkler(a, b) >= LOCALITY_SIMILARITY else Level.DIFFERENT


def compare_localities(a: str | None, bs: Iterable[str]) -> Level:
    """Normalised localities. EXACT: equal. CLOSE: Jaro-Winkler >= 0.90 ("cuauhtemoc", "cuahutemoc"). DIFFERENT."""
    return _best(a, bs, _locality_level)


def _numbers(line: str) -> set[str]:
    return {token for token in line.split() if any(c.isdigit() for c in token)}


def _street_level(a: str, b: str) -> Level:
    line_a, line_b = normalise_address_line(a), normalise_address_line(b)
    if not line_a or not line_b:
        return Level.MISSING
    if line_a == line_b:
        return Level.EXACT
    numbers_a, numbers_b = _numbers(line_a), _numbers(line_b)
    same_house = numbers_a <= numbers_b or numbers_b <= numbers_a
    if same_house and fuzz.token_set_ratio(line_a, line_b) >= STREET_TOKEN_SET_RATIO:
        return Level.CLOSE
    return Level.DIFFERENT


def compare_addresses_line(a: str | None, bs: Iterable[str]) -> Level:
    """Street lines, raw or normalised (both sides go through `normalise_address_line`).

    EXACT: equal once normalised. CLOSE: rapidfuzz token-set ratio >= 90 ("avenida reforma 123" ~ "reforma 123")
    and the house numbers of one side all on the other ("reforma 123 interior 4" ~ "reforma 123", but never
    "reforma 123" ~ "reforma 125": neighbours are not the same household). DIFFERENT otherwise.
    """
    return _best(a, bs, _street_level)
