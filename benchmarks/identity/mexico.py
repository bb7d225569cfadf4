"""Mexican reference data for the synthetic population: names, places, phone numbers and the CURP.

Names are ordered by how common they are in Mexico (RENAPO / INEGI rankings, roughly) and drawn with
Zipf-like weights (weight = 1 / rank ** exponent), so the common ones repeat and namesakes occur the way
they do in a real registry. Places are real municipalities and colonias with plausible postal codes and
the area code of the city. Nothing here is anyone's real data.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import accumulate
from typing import Generic, TypeVar


def _words(text: str) -> list[str]:
    """Whitespace-separated words; `_` joins the words of one name (`De_la_Cruz`)."""
    return [word.replace("_", " ") for word in text.split()]


# --- names -------------------------------------------------------------------------------------------------

SURNAMES = _words("""
Hernández García Martínez López González Pérez Rodríguez Sánchez Ramírez Cruz Flores Gómez Morales Vázquez
Jiménez Reyes Díaz Torres Gutiérrez Ruiz Mendoza Aguilar Ortiz Moreno Castillo Romero Álvarez Méndez Chávez
Rivera Juárez Ramos Domínguez Herrera Medina Castro Vargas Guzmán Velázquez Muñoz Rojas Contreras Salazar
Luna Ortega Santiago Guerrero Estrada Bautista Cortés Soto Alvarado Espinoza Lara Ávila Ríos Cervantes Silva
Delgado Vega Márquez Sandoval Carrillo León Mejía Solís Rosas Ibarra Valdez Núñez Campos Santos Camacho
Navarro Peña Maldonado Rosales Acosta Miranda Trejo Valencia Nava Pacheco Huerta Padilla Fuentes Cabrera
Zúñiga Ochoa Escobar Gallegos Salinas Orozco Tapia Montes Rangel Meza Figueroa Lozano Aguirre Molina Franco
Ponce Villanueva Cárdenas Cano Benítez Carmona Valenzuela Zamora Arellano Galván Beltrán Rubio Ordóñez Yáñez
Treviño Montaño Ibáñez Carreño Quintero Olvera Avendaño Zavala Bravo Tovar De_la_Cruz De_León Del_Ángel
De_la_Rosa De_los_Santos
""")
# Compound surnames ("De la Cruz") keep their particles; the CURP rules skip them (the letters come from "Cruz").

MALE_NAMES = _words("""
José Juan Luis Carlos Jesús Miguel Francisco Jorge Alejandro Antonio Pedro Manuel Ricardo Roberto Fernando
Daniel Javier Eduardo Sergio Rafael Martín Arturo David Raúl Mario Alberto Héctor Enrique Óscar Víctor
Gerardo Ángel Andrés Diego Santiago Guillermo Salvador Ignacio Alfredo Ramón Rubén Emiliano Sebastián Leonardo
Mateo Jaime Gustavo Hugo Ernesto Armando Pablo Joaquín Adrián Iván Abraham Israel Gabriel Tomás Rodrigo
""")
FEMALE_NAMES = _words("""
María Guadalupe Juana Margarita Verónica Leticia Rosa Patricia Elizabeth Alejandra Gabriela Adriana Claudia
Ana Laura Silvia Martha Teresa Francisca Yolanda Carmen Josefina Alicia Sofía Fernanda Daniela Mariana Valeria
Ximena Andrea Lucía Isabel Araceli Norma Sandra Carolina Brenda Karla Diana Mónica Luz Esperanza Elena Rocío
Beatriz Irma Angélica Lorena Camila Regina Natalia Paola Jimena Itzel Nayeli Yesenia
""")
# Second given names, by how often they follow a first one ("María Guadalupe", "José Luis").
FEMALE_SECOND = _words("""
Guadalupe del_Carmen Fernanda José Elena de_Jesús Isabel Luisa de_los_Ángeles Teresa Eugenia Concepción
Dolores Cristina Alejandra del_Rosario Esther Victoria Alicia Magdalena
""")
MALE_SECOND = _words("""
Luis Antonio Carlos Manuel Ángel Alberto Francisco Miguel Alejandro Eduardo Armando Alfredo de_Jesús
Guadalupe Ramón Pablo Javier Daniel Ignacio Enrique
""")

NICKNAMES = {
    "José": "Pepe",
    "Francisco": "Paco",
    "Jesús": "Chucho",
    "Guillermo": "Memo",
    "Eduardo": "Lalo",
    "Alberto": "Beto",
    "Roberto": "Beto",
    "Antonio": "Toño",
    "Ignacio": "Nacho",
    "Enrique": "Quique",
    "Alejandro": "Alex",
    "Guadalupe": "Lupita",
    "Margarita": "Magos",
    "Concepción": "Conchita",
    "Dolores": "Lola",
    "Rosario": "Charo",
    "Alejandra": "Ale",
    "Fernanda": "Fer",
    "Mariana": "Mari",
    "Patricia": "Paty",
    "Elizabeth": "Liz",
    "Verónica": "Vero",
    "Gabriela": "Gaby",
    "Josefina": "Chepina",
    "Isabel": "Chabela",
}
COMPOUND_NICKNAMES = {"María José": "Majo", "María Fernanda": "Marifer", "Juan Carlos": "Charly", "José Luis": "Pepe"}

# --- places -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Municipality:
    name: str
    state_code: str  # CURP / RENAPO two-letter code
    area_code: str
    weight: float
    colonias: tuple[tuple[str, str], ...]  # (colonia, postal code)


@dataclass(frozen=True)
class State:
    code: str
    names: tuple[str, ...]  # canonical first, then the ways people and clerks write it


STATES = {
    state.code: state
    for state in (
        State("DF", ("Ciudad de México", "CDMX", "Cd. de México", "D.F.", "Distrito Federal")),
        State("MC", ("Estado de México", "Edo. Méx.", "México", "Edomex")),
        State("JC", ("Jalisco", "Jal.")),
        State("NL", ("Nuevo León", "N.L.")),
        State("PL", ("Puebla", "Pue.")),
        State("GT", ("Guanajuato", "Gto.")),
        State("YN", ("Yucatán", "Yuc.")),
        State("QT", ("Querétaro", "Qro.")),
        State("CH", ("Chihuahua", "Chih.")),
        State("BC", ("Baja California", "B.C.")),
        State("VZ", ("Veracruz", "Ver.")),
        State("OC", ("Oaxaca", "Oax.")),
        State("MN", ("Michoacán", "Mich.")),
        State("QR", ("Quintana Roo", "Q. Roo")),
    )
}
# Birth states that are not among the residence states above (people move).
OTHER_BIRTH_STATES = ("GR", "CS", "ZS", "HG", "SP", "TS", "SR", "SL", "DG", "TC", "TL", "MS", "CL", "NT", "AS")

MUNICIPALITIES: tuple[Municipality, ...] = (
    Municipality(
        "Cuauhtémoc",
        "DF",
        "55",
        5,
        (
            ("Centro", "06000"),
            ("Roma Norte", "06700"),
            ("Doctores", "06720"),
            ("Guerrero", "06300"),
            ("Morelos", "06200"),
            ("Santa María la Ribera", "06400"),
            ("Juárez", "06600"),
        ),
    ),
    Municipality(
        "Iztapalapa",
        "DF",
        "55",
        9,
        (
            ("Santa Cruz Meyehualco", "09290"),
            ("San Miguel Teotongo", "09630"),
            ("Ejército de Oriente", "09230"),
            ("Desarrollo Urbano Quetzalcóatl", "09700"),
            ("Cerro de la Estrella", "09860"),
        ),
    ),
    Municipality(
        "Gustavo A. Madero",
        "DF",
        "55",
        6,
        (
            ("Lindavista", "07300"),
            ("San Felipe de Jesús", "07510"),
            ("Cuautepec Barrio Alto", "07100"),
            ("Guadalupe Tepeyac", "07840"),
        ),
    ),
    Municipality(
        "Coyoacán",
        "DF",
        "55",
        4,
        (
            ("Del Carmen", "04100"),
            ("Pedregal de Santo Domingo", "04369"),
            ("Santa Úrsula Coapa", "04650"),
            ("CTM Culhuacán", "04480"),
        ),
    ),
    Municipality(
        "Benito Juárez",
        "DF",
        "55",
        3,
        (
            ("Narvarte Poniente", "03020"),
            ("Del Valle Centro", "03100"),
            ("Portales Norte", "03300"),
            ("Álamos", "03400"),
        ),
    ),
    Municipality(
        "Tlalpan",
        "DF",
        "55",
        3,
        (("Tlalpan Centro", "14000"), ("Miguel Hidalgo", "14250"), ("Pedregal de San Nicolás", "14100")),
    ),
    Municipality(
        "Álvaro Obregón", "DF", "55", 3, (("San Ángel", "01000"), ("Olivar del Conde", "01400"), ("Santa Fe", "01210"))
    ),
    Municipality(
        "Ecatepec de Morelos",
        "MC",
        "55",
        7,
        (
            ("Ciudad Azteca", "55120"),
            ("San Cristóbal Centro", "55000"),
            ("Jardines de Morelos", "55070"),
            ("Valle de Aragón 3a Sección", "55280"),
        ),
    ),
    Municipality(
        "Nezahualcóyotl",
        "MC",
        "55",
        5,
        (("Benito Juárez", "57000"), ("Evolución", "57700"), ("Metropolitana", "57730")),
    ),
    Municipality(
        "Naucalpan de Juárez",
        "MC",
        "55",
        4,
        (("Ciudad Satélite", "53100"), ("San Bartolo Naucalpan", "53000"), ("Lomas Verdes", "53120")),
    ),
    Municipality(
        "Toluca", "MC", "722", 4, (("Centro", "50000"), ("San Sebastián", "50090"), ("Santa Ana Tlapaltitlán", "50160"))
    ),
    Municipality(
        "Guadalajara",
        "JC",
        "33",
        6,
        (("Centro", "44100"), ("Americana", "44160"), ("Oblatos", "44700"), ("Providencia", "44630")),
    ),
    Municipality(
        "Zapopan", "JC", "33", 5, (("Zapopan Centro", "45100"), ("Las Águilas", "45080"), ("Santa Margarita", "45140"))
    ),
    Municipality("San Pedro Tlaquepaque", "JC", "33", 2, (("Tlaquepaque Centro", "45500"), ("Las Juntas", "45590"))),
    Municipality(
        "Monterrey",
        "NL",
        "81",
        5,
        (("Centro", "64000"), ("Mitras Centro", "64460"), ("Obispado", "64060"), ("Independencia", "64720")),
    ),
    Municipality("San Nicolás de los Garza", "NL", "81", 2, (("Anáhuac", "66450"), ("Centro", "66400"))),
    Municipality("Guadalupe", "NL", "81", 2, (("Centro", "67100"), ("Linda Vista", "67130"))),
    Municipality(
        "Puebla",
        "PL",
        "222",
        5,
        (("Centro", "72000"), ("La Paz", "72160"), ("San Manuel", "72570"), ("Amalucan", "72310")),
    ),
    Municipality(
        "León", "GT", "477", 4, (("Centro", "37000"), ("León Moderno", "37480"), ("Jardines del Moral", "37160"))
    ),
    Municipality(
        "Mérida", "YN", "999", 3, (("Centro", "97000"), ("García Ginerés", "97070"), ("Francisco de Montejo", "97203"))
    ),
    Municipality(
        "Querétaro",
        "QT",
        "442",
        3,
        (("Centro", "76000"), ("Jardines de la Hacienda", "76180"), ("Lomas de Casa Blanca", "76080")),
    ),
    Municipality(
        "Juárez",
        "CH",
        "656",
        3,
        (("Centro", "32000"), ("Infonavit Casas Grandes", "32600"), ("Partido Romero", "32030")),
    ),
    Municipality("Chihuahua", "CH", "614", 2, (("Centro", "31000"), ("San Felipe", "31203"))),
    Municipality(
        "Tijuana",
        "BC",
        "664",
        4,
        (("Zona Centro", "22000"), ("Otay Universidad", "22427"), ("Playas de Tijuana", "22500")),
    ),
    Municipality("Veracruz", "VZ", "229", 2, (("Centro", "91700"), ("Reforma", "91919"))),
    Municipality("Xalapa", "VZ", "228", 2, (("Centro", "91000"), ("Rafael Lucio", "91110"))),
    Municipality("Oaxaca de Juárez", "OC", "951", 2, (("Centro", "68000"), ("Reforma", "68050"))),
    Municipality("Morelia", "MN", "443", 2, (("Centro", "58000"), ("Chapultepec Norte", "58260"))),
    Municipality("Benito Juárez", "QR", "998", 2, (("Supermanzana 25", "77509"), ("Región 94", "77517"))),
)

STREETS = (
    """
Hidalgo|Morelos|Benito_Juárez|5_de_Mayo|16_de_Septiembre|Independencia|Reforma|Allende|Guerrero|Zaragoza|Madero|
Aldama|Matamoros|Niños_Héroes|Emiliano_Zapata|Francisco_I._Madero|Vicente_Guerrero|Revolución|Constitución|
Las_Flores|Los_Pinos|Pino_Suárez|Álvaro_Obregón|Venustiano_Carranza|Lázaro_Cárdenas|Insurgentes|Nezahualcóyotl|
Cuauhtémoc|Sor_Juana_Inés_de_la_Cruz|Josefa_Ortiz_de_Domínguez|Ignacio_Zaragoza|Juan_Escutia|Río_Lerma|Oriente_4|
Norte_17|Sur_24|Jacarandas|Fresno|Girasoles|Tulipanes
""".replace("\n", "")
    .replace("_", " ")
    .split("|")
)
STREET_TYPES = (("Calle", 8), ("Av.", 4), ("Privada", 1), ("Cerrada", 1), ("Andador", 0.5), ("Callejón", 0.5))

EMAIL_DOMAINS = (("gmail.com", 10), ("hotmail.com", 6), ("outlook.com", 3), ("yahoo.com.mx", 2), ("prodigy.net.mx", 1))
SOCIAL_PLATFORMS = (("facebook", 10), ("instagram", 4), ("x", 2), ("tiktok", 2))

# --- helpers ------------------------------------------------------------------------------------------------


T = TypeVar("T")


class Weighted(Generic[T]):  # Python 3.11: no PEP 695 generics
    """A fixed weighted choice, with the cumulative weights computed once."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        if len(items) != len(weights) or not items:
            raise ValueError("items and weights must be non-empty and of the same length")
        self.items = list(items)
        self.cumulative = list(accumulate(weights))

    @classmethod
    def zipf(cls, items: Sequence[T], exponent: float) -> Weighted[T]:
        return cls(items, [1.0 / (rank**exponent) for rank in range(1, len(items) + 1)])

    @classmethod
    def pairs(cls, pairs: Sequence[tuple[T, float]]) -> Weighted[T]:
        return cls([item for item, _ in pairs], [weight for _, weight in pairs])

    def pick(self, rng: random.Random) -> T:
        return rng.choices(self.items, cum_weights=self.cumulative)[0]


@lru_cache(maxsize=65_536)  # names repeat: most calls are cache hits
def strip_accents(text: str, keep_enye: bool = True) -> str:
    """`Hernández Muñoz` -> `Hernandez Muñoz` (or `Munoz` without `keep_enye`)."""
    out = []
    for char in text:
        if keep_enye and char in "ñÑ":
            out.append(char)
            continue
        decomposed = unicodedata.normalize("NFD", char)
        out.append("".join(c for c in decomposed if unicodedata.category(c) != "Mn"))
    return "".join(out)


# --- CURP -----------------------------------------------------------------------------------------------------

_PARTICLES = frozenset(_words("DA DAS DE DEL DER DI DIE DD EL LA LOS LAS LE LES MAC MC VAN VON Y"))
_COMMON_FIRST = frozenset(("MARIA", "MA", "MA.", "M", "M.", "JOSE", "J", "J."))
_INCONVENIENT = frozenset(
    _words(
        """BACA BAKA BUEI BUEY CACA CACO CAGA CAGO CAKA CAKO COGE COGI COJA COJE COJI COJO COLA CULO FALO FETO GETA
    GUEI GUEY JETA JOTO KACA KACO KAGA KAGO KAKA KAKO KOGE KOGI KOJA KOJE KOJI KOJO KOLA KULO LILO LOCA LOCO LOKA
    LOKO MAME MAMO MEAR MEAS MEON MIAR MION MOCO MOKO MULA MULO NACA NACO PEDA PEDO PENE PIPI PITO POPO PUTA PUTO
    QULO RATA ROBA ROBE ROBO RUIN SENO TETA VACA VAGA VAGO VAKA VUEI VUEY WUEI WUEY"""
    )
)
_VOWELS = "AEIOU"
CURP_ALPHABET = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ"


def _curp_letters(name: str) -> str:
    """Upper case, no accents, Ñ -> X, particles removed: the letters the CURP rules look at."""
    plain = strip_accents(name).upper().replace("Ñ", "X")
    words = [word for word in plain.replace("-", " ").split() if word not in _PARTICLES]
    return " ".join(words) if words else plain


def _first_internal(word: str, wanted: str) -> str:
    for char in word[1:]:
        if char in wanted:
            return char
    return "X"


def _given_for_curp(given_names: str) -> str:
    words = _curp_letters(given_names).split()
    if len(words) > 1 and words[0] in _COMMON_FIRST:
        return words[1]
    return words[0] if words else "X"


def curp_check_digit(first17: str) -> str:
    """The CURP's 18th character (RENAPO's algorithm; same as `stdnum.mx.curp.calc_check_digit`)."""
    total = sum(CURP_ALPHABET.index(char) * (18 - i) for i, char in enumerate(first17[:17]))
    return str((10 - total % 10) % 10)


def _reference_check_digit() -> Callable[[str], str]:
    """python-stdnum's implementation when installed (requirements-bench.txt pins it), else ours."""
    try:
        from stdnum.mx.curp import calc_check_digit
    except ImportError:  # pragma: no cover
        return curp_check_digit
    return calc_check_digit


_check_digit = _reference_check_digit()


def curp_base(given_names: str, paternal: str, maternal: str | None, birth: date, sex: str, state_code: str) -> str:
    """The first 16 characters of a CURP (everything before the homonymy character and the check digit).

    `sex` is `H` (hombre) or `M` (mujer); `state_code` the two-letter birth-state code (`NE` abroad).
    """
    pat_words = _curp_letters(paternal).split() or ["X"]
    mat_words = _curp_letters(maternal).split() if maternal else []
    pat = pat_words[0]
    mat = mat_words[0] if mat_words else "X"
    given = _given_for_curp(given_names)
    first4 = pat[0] + _first_internal(pat, _VOWELS) + mat[0] + given[0]
    if first4 in _INCONVENIENT:
        first4 = first4[0] + "X" + first4[2:]
    consonants = "BCDFGHJKLMNPQRSTVWXYZ"
    internal = _first_internal(pat, consonants) + (_first_internal(mat, consonants) if mat_words else "X")
    internal += _first_internal(given, consonants)
    return f"{first4}{birth:%y%m%d}{sex}{state_code}{internal}"


def homonymy_characters(birth: date) -> str:
    """Characters RENAPO uses in position 17: digits for births before 2000, letters from 2000 on."""
    return "0123456789" if birth.year < 2000 else "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def complete_curp(base16: str, homonymy: str) -> str:
    first17 = base16 + homonymy
    return first17 + _check_digit(first17)


# --- phone numbers ------------------------------------------------------------------------------------------


def split_national(number: str) -> tuple[str, str]:
    """`5512345678` -> (`55`, `12345678`); `2221234567` -> (`222`, `1234567`)."""
    area = number[:2] if number[:2] in ("55", "33", "81") else number[:3]
    return area, number[len(area) :]


def spaced(number: str) -> str:
    area, local = split_national(number)
    return f"{area} {local[:-4]} {local[-4:]}"


# How each source writes a ten-digit national number. Every form normalises to the same E.164 number.
PHONE_FORMATS = {
    "national": lambda n: n,
    "spaced": spaced,
    "dashed": lambda n: spaced(n).replace(" ", "-"),
    "parens": lambda n: "({}) {}".format(*spaced(n).split(" ", 1)),
    "e164": lambda n: f"+52{n}",
    "intl_spaced": lambda n: f"+52 {spaced(n)}",
    "intl_noplus": lambda n: f"52{n}",
    # Legacy mobile forms Mexico dropped in 2019; WhatsApp and old phones still send them.
    "legacy_044": lambda n: f"044 {spaced(n)}",
    "legacy_045": lambda n: f"045 {spaced(n)}",
    "wa_521": lambda n: f"521{n}",
    "wa_plus521": lambda n: f"+521{n}",
    "plus521_spaced": lambda n: f"+521 {spaced(n)}",
}
MOBILE_ONLY_FORMATS = frozenset(("legacy_044", "legacy_045", "wa_521", "wa_plus521", "plus521_spaced"))


def format_phone(number: str, style: str) -> str:
    return str(PHONE_FORMATS[style](number))


def is_valid_mx(number: str) -> bool:
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, "MX")
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(parsed))


def random_number(rng: random.Random, area_code: str, landline: bool, taken: set[str]) -> str:
    """A fresh valid ten-digit Mexican number in the area; landlines in the 55 area start with 5 (as most do)."""
    for _ in range(1000):
        first = "5" if landline and area_code == "55" else str(rng.randint(2, 9))
        rest = "".join(str(rng.randrange(10)) for _ in range(10 - len(area_code) - 1))
        number = area_code + first + rest
        if number not in taken and is_valid_mx(number):
            taken.add(number)
            return number
    raise RuntimeError(f"could not draw a valid number in area {area_code}")
