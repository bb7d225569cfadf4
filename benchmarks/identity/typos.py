"""How people, agents and clerks mistype who someone is. Pure functions of a seeded `random.Random`.

A `Typist` profile says how likely each kind of error is for one source:

- accents dropped (`Hernández` -> `Hernandez`; keyboards and old systems), ALL CAPS (clerks), lower case;
- `Ma.` / `Ma` for `María` and `J.` for `José` when a second given name follows;
- the second given name left out; only the paternal surname written (`Pérez` for `Pérez López`);
- the two surnames swapped;
- one-letter typos (a neighbouring key, a dropped, doubled or transposed letter) and Spanish
  sound-alike spellings (s/z/c, b/v, y/ll, a silent h dropped or added, j/g, x/j);
- nicknames (`Lupita`, `Pepe`) where people type their own name.

Dates get day/month swaps and one-digit slips; CURPs look-alike slips (`O`/`0`, `I`/`1`, `S`/`5`, `B`/`8`);
phone numbers a wrong digit.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from benchmarks.identity.mexico import COMPOUND_NICKNAMES, NICKNAMES, strip_accents

_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjklñ", "zxcvbnm")
_NEIGHBOURS: dict[str, str] = {}
for _row_index, _row in enumerate(_KEYBOARD_ROWS):
    for _col, _char in enumerate(_row):
        near = [_row[_col - 1] if _col > 0 else "", _row[_col + 1] if _col + 1 < len(_row) else ""]
        for _other_index in (_row_index - 1, _row_index + 1):
            if 0 <= _other_index < len(_KEYBOARD_ROWS) and _col < len(_KEYBOARD_ROWS[_other_index]):
                near.append(_KEYBOARD_ROWS[_other_index][_col])
        _NEIGHBOURS[_char] = "".join(near)

# (what is written, what a typist may write instead)
_SOUND_ALIKES = (
    ("z", "s"),
    ("s", "z"),
    ("ce", "se"),
    ("ci", "si"),
    ("v", "b"),
    ("b", "v"),
    ("ll", "y"),
    ("y", "ll"),
    ("ge", "je"),
    ("gi", "ji"),
    ("je", "ge"),
    ("x", "j"),
    ("qu", "k"),
)
_LOOK_ALIKES = {"O": "0", "0": "O", "I": "1", "1": "I", "S": "5", "5": "S", "B": "8", "8": "B", "Z": "2", "2": "Z"}


@dataclass(frozen=True)
class Typist:
    """Error rates of one kind of source. Probabilities are per name (or per field)."""

    strip_accents: float = 0.0
    upper: float = 0.0
    lower: float = 0.0
    abbreviate_first: float = 0.0  # "Ma." for María, "J." for José (only when a second given name follows)
    drop_second_given: float = 0.0
    only_paternal: float = 0.0
    swap_surnames: float = 0.0
    letter_typo: float = 0.0  # per field (given name, family name)
    sound_alike: float = 0.0  # per field
    nickname: float = 0.0


# Office clerks type from the ID but in a hurry and often in capitals.
CLERK = Typist(
    strip_accents=0.45,
    upper=0.3,
    abbreviate_first=0.35,
    drop_second_given=0.2,
    only_paternal=0.03,
    swap_surnames=0.04,
    letter_typo=0.06,
    sound_alike=0.02,
)
# Contact-centre agents type what they hear: sound-alike spellings and short names.
AGENT = Typist(
    strip_accents=0.6,
    upper=0.08,
    abbreviate_first=0.2,
    drop_second_given=0.5,
    only_paternal=0.45,
    swap_surnames=0.02,
    letter_typo=0.06,
    sound_alike=0.1,
)
# People typing their own name into a form or chat.
SELF = Typist(
    strip_accents=0.35,
    upper=0.03,
    lower=0.12,
    abbreviate_first=0.08,
    drop_second_given=0.4,
    only_paternal=0.25,
    swap_surnames=0.005,
    letter_typo=0.025,
    nickname=0.08,
)


def one_letter_typo(rng: random.Random, text: str) -> str:
    """A neighbouring key, or a dropped, doubled or transposed letter, somewhere after the first letter."""
    positions = [i for i, char in enumerate(text) if char.isalpha() and i > 0]
    if not positions:
        return text
    i = rng.choice(positions)
    kind = rng.choice(("neighbour", "drop", "double", "swap"))
    char = text[i]
    if kind == "neighbour" and char.lower() in _NEIGHBOURS:
        replacement = rng.choice(_NEIGHBOURS[char.lower()])
        replacement = replacement.upper() if char.isupper() else replacement
        return text[:i] + replacement + text[i + 1 :]
    if kind == "drop" and len(text) > 3:
        return text[:i] + text[i + 1 :]
    if kind == "swap" and i + 1 < len(text) and text[i + 1].isalpha() and text[i + 1] != char:
        return text[:i] + text[i + 1] + char + text[i + 2 :]
    return text[:i] + char + text[i:]


def sound_alike(rng: random.Random, text: str) -> str:
    """One Spanish sound-alike spelling (`Vázquez` -> `Bázquez`, `Yolanda` -> `Llolanda`, `Hugo` -> `Ugo`)."""
    lower = text.lower()
    options = [(i, old, new) for old, new in _SOUND_ALIKES for i in _find_all(lower, old)]
    if lower.startswith("h"):
        options.append((0, "h", ""))
    if not options:
        return text
    i, old, new = rng.choice(options)
    if text[i : i + len(old)].isupper() or (i == 0 and text[:1].isupper()):
        new = new.upper() if text[i : i + len(old)].isupper() and len(old) > 1 else new.capitalize()
    result = text[:i] + new + text[i + len(old) :]
    if i == 0 and new == "" and result:
        result = result[0].upper() + result[1:]
    return result


def _find_all(text: str, part: str) -> list[int]:
    found, start = [], text.find(part)
    while start != -1:
        found.append(start)
        start = text.find(part, start + 1)
    return found


def nickname_for(given_names: str) -> str | None:
    if given_names in COMPOUND_NICKNAMES:
        return COMPOUND_NICKNAMES[given_names]
    words = given_names.split()
    for word in ([words[-1]] if words[0] in ("María", "José") and len(words) > 1 else []) + words[:1]:
        if word in NICKNAMES:
            return NICKNAMES[word]
    return None


def _abbreviate(given_names: str) -> str:
    first, _, rest = given_names.partition(" ")
    if not rest:
        return given_names
    if first == "María":
        return f"Ma. {rest}" if not rest.startswith(("de ", "del ")) else f"Ma {rest}"
    if first == "José":
        return f"J. {rest}"
    return given_names


def _drop_second(given_names: str) -> str:
    words = given_names.split()
    if len(words) < 2:
        return given_names
    # "María del Carmen" -> "María"; "José Luis" -> "José"
    return words[0]


def type_name(
    rng: random.Random, given_names: str, paternal: str, maternal: str | None, typist: Typist
) -> tuple[str, str]:
    """(given_name, family_name) as this typist would enter them."""
    given = given_names
    if typist.nickname and rng.random() < typist.nickname:
        given = nickname_for(given_names) or given
    elif rng.random() < typist.abbreviate_first and given.startswith(("María ", "José ")):
        given = _abbreviate(given)
    elif rng.random() < typist.drop_second_given:
        given = _drop_second(given)
    surnames = [paternal] + ([maternal] if maternal else [])
    if len(surnames) == 2 and rng.random() < typist.only_paternal:
        surnames = surnames[:1]
    elif len(surnames) == 2 and rng.random() < typist.swap_surnames:
        surnames.reverse()
    family = " ".join(surnames)
    if rng.random() < typist.letter_typo:
        given = one_letter_typo(rng, given)
    if rng.random() < typist.letter_typo:
        family = one_letter_typo(rng, family)
    if rng.random() < typist.sound_alike:
        if rng.random() < 0.5:
            given = sound_alike(rng, given)
        else:
            family = sound_alike(rng, family)
    return _case(rng, given, family, typist)


def _case(rng: random.Random, given: str, family: str, typist: Typist) -> tuple[str, str]:
    if rng.random() < typist.strip_accents:
        given, family = strip_accents(given), strip_accents(family)
    draw = rng.random()
    if draw < typist.upper:
        return given.upper(), family.upper()
    if draw < typist.upper + typist.lower:
        return given.lower(), family.lower()
    return given, family


def type_date(rng: random.Random, value: date) -> date:
    """A mistyped date: day and month swapped when both could be months, else one digit of the year slips."""
    if value.day <= 12 and value.day != value.month and rng.random() < 0.5:
        return value.replace(month=value.day, day=value.month)
    for _ in range(10):
        year = value.year + rng.choice((-10, -1, 1, 10))
        try:
            return value.replace(year=year)
        except ValueError:  # 29 February
            continue
    return value


def type_curp(rng: random.Random, curp: str) -> str:
    """A CURP keyed in by hand: one look-alike character (`O`/`0`) or a neighbouring key."""
    positions = [i for i, char in enumerate(curp) if char in _LOOK_ALIKES]
    if positions and rng.random() < 0.6:
        i = rng.choice(positions)
        return curp[:i] + _LOOK_ALIKES[curp[i]] + curp[i + 1 :]
    i = rng.randrange(4, len(curp))
    char = curp[i].lower()
    if char in _NEIGHBOURS:
        return curp[:i] + rng.choice(_NEIGHBOURS[char]).upper().replace("Ñ", "N") + curp[i + 1 :]
    return curp[:i] + str((int(curp[i]) + 1) % 10) + curp[i + 1 :] if curp[i].isdigit() else curp


def type_phone_digits(rng: random.Random, national: str) -> str:
    """One wrong digit in the subscriber part of a ten-digit number."""
    i = rng.randrange(3, len(national))
    digit = str((int(national[i]) + rng.randint(1, 9)) % 10)
    return national[:i] + digit + national[i + 1 :]
