"""Turn what people type into comparable values. Pure functions, no I/O.

Identifiers: phones become E.164 with `phonenumbers` (legacy Mexican prefixes such as 044/045 and the
old mobile `1` after +52 included); emails are trimmed and lower-cased; national ids are upper-cased
without spaces (a CURP's structure and check digit are checked separately, with `stdnum`); social
handles become `platform:handle`.

Descriptive fields (names, postal codes, localities, street lines) are folded: accents, case and
punctuation do not count, so "HERNÁNDEZ-García" and "hernandez garcia" are one value. Names become
tuples of tokens, Spanish abbreviations expanded ("Ma." -> "maria", "Hdez." -> "hernandez") and
particles attached to the word they introduce ("de la Cruz" is one surname, not three).
`phonetic_key` groups spellings that sound alike in Mexican Spanish, for blocking.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from stdnum.mx import curp

from shared.models.citizen import Identifier, IdentifierKind
from shared.models.touchpoint import CitizenClaims

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_phone(raw: str, default_region: str = "MX") -> str | None:
    """E.164 form of a phone number, or None when it cannot be a valid number."""
    digits = re.sub(r"[^\d+]", "", raw.strip())
    if not digits:
        return None
    if default_region == "MX" or digits.startswith(("+52", "52")):
        # Mexico dropped the 044/045 and +52 1 mobile prefixes in 2019; people and WhatsApp still send them.
        if digits.startswith(("044", "045")) and len(digits) == 13:
            digits = digits[3:]
        elif digits.startswith(("+521", "521")) and len(digits.lstrip("+")) == 13:
            digits = "+52" + digits.lstrip("+")[3:]
        elif digits.startswith("52") and len(digits) == 12:
            digits = "+" + digits
    try:
        parsed = phonenumbers.parse(digits, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str | None:
    value = raw.strip().lower()
    return value if _EMAIL.match(value) else None


def normalise_national_id(raw: str) -> str | None:
    """Upper-case, without spaces and dashes. Lenient on purpose: a mistyped CURP, or another agency's
    numeric id, is still evidence (only a valid CURP is treated as an identifier, see is_valid_curp)."""
    value = re.sub(r"[\s-]", "", raw).upper()
    return value if 5 <= len(value) <= 20 and value.isascii() and value.isalnum() else None


def normalise_handle(platform: str, handle: str) -> str | None:
    name = handle.strip().lstrip("@").lower()
    network = platform.strip().lower()
    return f"{network}:{name}" if name and network else None


def normalise_login_subject(raw: str) -> str | None:
    value = raw.strip()
    return value or None


def identifiers_from_claims(claims: CitizenClaims, default_region: str = "MX") -> list[Identifier]:
    """Every identifier a touchpoint carries, strongest first; values that do not normalise are dropped."""
    found: list[Identifier] = []

    def add(kind: IdentifierKind, value: str | None) -> None:
        if value:
            found.append(Identifier(kind=kind, value=value))

    if claims.login_subject:
        add(IdentifierKind.LOGIN_SUBJECT, normalise_login_subject(claims.login_subject))
    if claims.national_id:
        add(IdentifierKind.NATIONAL_ID, normalise_national_id(claims.national_id))
    if claims.email:
        add(IdentifierKind.EMAIL, normalise_email(claims.email))
    if claims.phone:
        add(IdentifierKind.PHONE, normalise_phone(claims.phone, default_region))
    if claims.social:
        add(IdentifierKind.SOCIAL, normalise_handle(claims.social.platform, claims.social.handle))
    return found


def normalise_identifier(kind: IdentifierKind, raw: str, default_region: str = "MX") -> Identifier | None:
    """One identifier from a search query (`?phone=…`); social handles are given as `platform:handle`."""
    value: str | None
    if kind is IdentifierKind.PHONE:
        value = normalise_phone(raw, default_region)
    elif kind is IdentifierKind.EMAIL:
        value = normalise_email(raw)
    elif kind is IdentifierKind.NATIONAL_ID:
        value = normalise_national_id(raw)
    elif kind is IdentifierKind.SOCIAL:
        platform, _, handle = raw.partition(":")
        value = normalise_handle(platform, handle) if handle else None
    else:
        value = normalise_login_subject(raw)
    return Identifier(kind=kind, value=value) if value else None


def is_valid_curp(value: str) -> bool:
    """Is this a CURP whose structure, birth date, state and check digit are all right (`stdnum.mx.curp`)?"""
    normalised = normalise_national_id(value)
    return normalised is not None and curp.is_valid(normalised)


# --- Folding and names --------------------------------------------------------------------------------------------

# Apostrophes join ("O'Farrill" is "ofarrill", not "o farrill"); every other non-alphanumeric run separates.
_APOSTROPHES = re.compile(r"['\u2019\u2018\u02bc`\u00b4]")
_NON_ALNUM = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Accents, case and punctuation removed: "María José  HERNÁNDEZ-García" -> "maria jose hernandez garcia".

    NFKD, then combining marks dropped (so "ñ" becomes "n" and "ü" becomes "u"), case-folded, every run of
    characters that are not letters or digits turned into one space, trimmed. Idempotent.
    """
    decomposed = unicodedata.normalize("NFKD", _APOSTROPHES.sub("", text)).casefold()
    # casefold can produce characters that decompose further ("İ" -> "i" + combining dot), hence a second pass.
    decomposed = unicodedata.normalize("NFKD", decomposed)
    bare = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
    return _NON_ALNUM.sub(" ", bare).strip()


# Particles belong to the word they introduce: "de la Cruz" is one surname, "de los Ángeles" one given name.
PARTICLES = frozenset({"de", "del", "la", "las", "los", "y"})
_GIVEN_ABBREVIATIONS = {"ma": "maria", "fco": "francisco", "gpe": "guadalupe", "jse": "jose"}
_FAMILY_ABBREVIATIONS = {
    "hdez": "hernandez",
    "hdz": "hernandez",
    "glez": "gonzalez",
    "glz": "gonzalez",
    "mtz": "martinez",
    "rdz": "rodriguez",
    "rguez": "rodriguez",
    "gtz": "gutierrez",
    "fdez": "fernandez",
    "fdz": "fernandez",
}
# "M.ª" (María with a feminine ordinal) would otherwise fold to two initials, "m" and "a".
_MARIA_ORDINAL = re.compile(r"\bm\s*\.\s*\u00aa", re.IGNORECASE)


def _name_tokens(raw: str | None, abbreviations: dict[str, str]) -> tuple[str, ...]:
    """Folded words, abbreviations expanded, each particle run joined to the word that follows it.

    "y" is a particle only between two words; first or last it is an initial ("Y. Hernández", "María Y.").
    Particles with no word after them are dropped ("María de" -> "maria"), unless there is nothing else.
    """
    if not raw:
        return ()
    words = [abbreviations.get(w, w) for w in fold(raw).split()]
    tokens: list[str] = []
    pending: list[str] = []
    last = len(words) - 1
    for i, word in enumerate(words):
        if word in PARTICLES and (word != "y" or 0 < i < last):
            pending.append(word)
            continue
        tokens.append(" ".join([*pending, word]))
        pending = []
    if pending and not tokens:
        tokens.append(" ".join(pending))
    return tuple(tokens)


def normalise_given_names(raw: str | None) -> tuple[str, ...]:
    """Given names as folded tokens: "Ma. de los Ángeles" -> ("maria", "de los angeles"); "J. Luis" -> ("j", "luis").

    Expands "Ma."/"Mª" (maria), "Fco." (francisco), "Gpe." (guadalupe), "Jse" (jose); a one-letter token is an
    initial and is kept. () when nothing is left.
    """
    return _name_tokens(_MARIA_ORDINAL.sub("maria ", raw) if raw else raw, _GIVEN_ABBREVIATIONS)


def normalise_family_names(raw: str | None) -> tuple[str, ...]:
    """Surnames as folded tokens: "de la Cruz Pérez" -> ("de la cruz", "perez"); "Del Valle" -> ("del valle",).

    Expands the usual written abbreviations ("Hdez." hernandez, "Glez." gonzalez, "Mtz." martinez, "Rdz."
    rodriguez, "Gtz." gutierrez, "Fdez." fernandez). () when nothing is left.
    """
    return _name_tokens(raw, _FAMILY_ABBREVIATIONS)


HOUSEHOLD_WORDS = frozenset({"familia", "family", "fam", "casa", "hogar"})


def split_display_name(raw: str | None) -> tuple[str | None, str | None]:
    """(given names, surnames) from a display name such as an email's From name, in the original spelling.

    Mexican order: given names, then the paternal and maternal surnames ("Jorge Alberto Ramírez Soto" ->
    "Jorge Alberto", "Ramírez Soto"), a surname keeping its particles ("Ana de la Cruz" -> "Ana", "de la Cruz");
    "Surnames, Given" with a comma; a household ("Familia Díaz Ramírez") has surnames and no given name;
    a single word is a given name. Anything that is an address rather than a name gives (None, None).
    """
    text = " ".join((raw or "").replace('"', " ").split())
    if not text or "@" in text:
        return None, None
    if "," in text:
        family, _, given = (part.strip() for part in text.partition(","))
        return given or None, family or None
    words = text.split(" ")
    if fold(words[0]) in HOUSEHOLD_WORDS:
        return None, " ".join(words[1:]) or None
    if len(words) == 1:
        return text, None

    def surname_start(end: int) -> int:  # the word where the surname ending before `end` starts
        start = end - 1
        while start > 0 and fold(words[start - 1]) in PARTICLES:
            start -= 1
        return start

    start = surname_start(len(words))
    if start >= 2:  # room for a second surname and still a given name before it
        start = surname_start(start)
    start = max(start, 1)
    return " ".join(words[:start]), " ".join(words[start:])


# --- Addresses ----------------------------------------------------------------------------------------------------

_POSTAL_SEPARATORS = re.compile(r"[\s.:\-]")
_POSTAL_PREFIX = re.compile(r"^(?:C[O\u00d3]DIGOPOSTAL|CP)(?=\d)")  # "C.P. 06000", "Código postal: 06000"
_MX_POSTAL = re.compile(r"\d{4,5}")
_OTHER_POSTAL = re.compile(r"(?=.*\d)[0-9A-Z]{3,10}")


def normalise_postal_code(raw: str | None, region: str = "MX") -> str | None:
    """A postal code as written in `region`'s post, or None.

    Mexico ("MX"): five digits, a leading "C.P." ignored; four digits are left-padded with 0, since people drop
    the leading zero ("6000" -> "06000"); no Mexican code starts with "00". Other regions: the code upper-cased
    without spaces, dots or dashes, 3-10 letters and digits with at least one digit ("2612", "K1A0B6").
    """
    if not raw:
        return None
    value = _POSTAL_PREFIX.sub("", _POSTAL_SEPARATORS.sub("", raw).upper())
    if not value.isascii():
        return None
    if region.upper() == "MX":
        if not _MX_POSTAL.fullmatch(value):
            return None
        value = value.zfill(5)
        return None if value.startswith("00") else value
    return value if _OTHER_POSTAL.fullmatch(value) else None


# Leading words that name the kind of place, not the place: "Col. Roma Norte" is "roma norte".
_LOCALITY_PREFIXES: tuple[tuple[str, ...], ...] = (
    ("municipio", "de"),
    ("mpio", "de"),
    ("municipio",),
    ("mpio",),
    ("colonia",),
    ("col",),
    ("fraccionamiento",),
    ("fracc",),
    ("alcaldia",),
    ("delegacion",),
)
_LOCALITY_WORDS = {"cd": "ciudad", "sta": "santa", "sto": "santo", "sn": "san", "gral": "general"}
_LOCALITY_ALIASES = {
    "cdmx": "ciudad de mexico",
    "df": "ciudad de mexico",
    "d f": "ciudad de mexico",
    "distrito federal": "ciudad de mexico",
    "mexico df": "ciudad de mexico",
    "mexico d f": "ciudad de mexico",
}


def normalise_locality(raw: str | None) -> str | None:
    """A colonia, town or municipality, folded, with its kind dropped: "Alcaldía Cuauhtémoc" -> "cuauhtemoc".

    Drops leading "col."/"colonia", "fracc."/"fraccionamiento", "alcaldía", "delegación", "municipio (de)";
    expands "cd." (ciudad), "sta."/"sto." (santa/santo), "sn" (san), "gral." (general); "CDMX" and "D.F."
    become "ciudad de mexico". None when nothing is left.
    """
    if not raw:
        return None
    words = fold(raw).split()
    stripped = True
    while stripped:
        stripped = False
        for prefix in _LOCALITY_PREFIXES:
            if len(words) > len(prefix) - 1 and tuple(words[: len(prefix)]) == prefix:
                words = words[len(prefix) :]
                stripped = True
                break
    value = " ".join(_LOCALITY_WORDS.get(w, w) for w in words)
    return _LOCALITY_ALIASES.get(value, value) or None


_STREET_WORDS = {
    "av": "avenida",
    "ave": "avenida",
    "avda": "avenida",
    "blvd": "boulevard",
    "blvr": "boulevard",
    "bulevar": "boulevard",
    "calz": "calzada",
    "prol": "prolongacion",
    "priv": "privada",
    "cda": "cerrada",
    "cerr": "cerrada",
    "cjon": "callejon",
    "carr": "carretera",
    "int": "interior",
    "depto": "departamento",
    "dpto": "departamento",
    "sta": "santa",
    "sto": "santo",
    "gral": "general",
}
# Markers of the house number carry no information once the number itself is there; "calle" is the street type
# people leave out ("Calle Morelos 45" is "Morelos 45").
_STREET_NOISE = frozenset({"calle", "no", "num", "numero", "nro", "n", "ext", "exterior"})


def normalise_address_line(raw: str | None) -> str | None:
    """A street line, folded, abbreviations expanded, number markers and the word "calle" dropped.

    "Av. Juárez No. 12" -> "avenida juarez 12"; "Calle Morelos S/N" -> "morelos sn" (sin número). None when
    nothing is left.
    Idempotent.
    """
    if not raw:
        return None
    words = fold(raw).split()
    out: list[str] = []
    i = 0
    while i < len(words):
        if words[i] == "s" and i + 1 < len(words) and words[i + 1] == "n":
            out.append("sn")
            i += 2
            continue
        if words[i] not in _STREET_NOISE:
            out.append(_STREET_WORDS.get(words[i], words[i]))
        i += 1
    return " ".join(out) or None


# --- Phonetic key -------------------------------------------------------------------------------------------------

_VOWELS = frozenset("aeiou")
_FRONT_VOWELS = frozenset("ei")
_SAME_SOUND = {"v": "b", "z": "s", "x": "j"}
_SILENT_H = re.compile(r"(?<!c)h")
_LL_OR_Y = re.compile(r"ll|y")


def _vowel_sounds(letters: str) -> str:
    """First pass: "ph" -> f, silent h dropped, ll/y -> y before a vowel (else l/i), w -> u."""
    letters = _SILENT_H.sub("", letters.replace("ph", "f")).replace("w", "u")

    def consonant_or_vowel(match: re.Match[str]) -> str:
        before_vowel = letters[match.end() : match.end() + 1] in _VOWELS
        return "y" if before_vowel else ("l" if match.group() == "ll" else "i")

    return _LL_OR_Y.sub(consonant_or_vowel, letters)


def phonetic_key(token: str) -> str:
    """A key shared by spellings that sound alike in Mexican Spanish, for blocking: "Vázquez" and "Basques" -> "baskes".

    On the folded letters (digits and spaces dropped): "ph" -> f; "h" is silent except in "ch"; "ll" and "y" -> y
    before a vowel (else l and i); w -> u; b/v -> b; z -> s; c before e/i -> s, any other c, "qu" and k -> k;
    g before e/i -> j, while "gu" before e/i keeps its hard g as "gu"; x -> j (México, Xavier, Ximénez); then
    repeated letters collapse to one ("rr" -> r). Vowels are kept: Spanish spells them as it says them. The key is
    a fixed point (`phonetic_key(phonetic_key(x)) == phonetic_key(x)`) and does not depend on accents or case.
    """
    letters = _vowel_sounds("".join(c for c in fold(token) if c.isalpha()))
    out: list[str] = []
    i, n = 0, len(letters)
    while i < n:
        c = letters[i]
        after = letters[i + 1 : i + 2]
        step = 1
        if c == "c":
            if after == "h":
                code, step = "ch", 2
            else:
                code = "s" if after in _FRONT_VOWELS else "k"
        elif c == "q":
            code, step = "k", (2 if after == "u" else 1)
        elif c == "g":
            if after in _FRONT_VOWELS:
                code = "j"
            elif after == "u" and letters[i + 2 : i + 3] in _FRONT_VOWELS:
                code, step = "gu", 2
            else:
                code = "g"
        else:
            code = _SAME_SOUND.get(c, c)
        out.append(code)
        i += step
    collapsed: list[str] = []
    for char in "".join(out):
        if not collapsed or collapsed[-1] != char:
            collapsed.append(char)
    return "".join(collapsed)
