"""A synthetic omnichannel population of Mexican citizens, and what each channel learns about them.

`generate(people=2000, seed=7)` builds households and people, then every person's touchpoints over two
years, each carrying only what that channel really knows (see `README.md` beside this file):

- people: one or two given names and two surnames drawn with Zipf-like weights (namesakes occur), birth
  dates, a CURP computed from the data with RENAPO's rules and a valid check digit (homonyms get different
  homonymy characters), a home address, mobile numbers (some change; some old numbers are later recycled
  to someone else), emails, a government SSO subject for portal/app users, social-media handles;
- households share the address, often a landline and sometimes a family email;
- planted hard cases in every population: twins (same surnames, birth date and address, different given
  names), a junior (same full name as the father, same address, other birth date), unrelated namesakes,
  recycled numbers, shared landlines and family emails;
- touchpoints come in episodes (one procedure followed up over days across channels) and are sorted by time.

Touchpoint ids are opaque hashes; the truth file maps each to its person id.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.identity import mexico as mx
from benchmarks.identity import typos
from benchmarks.identity.interchange import (
    DEFAULT_DATA_DIR,
    DEFAULT_SEED,
    DatasetFiles,
    interchange_path,
    iso_z,
    truth_path,
    truth_rows,
    write_jsonl,
)

WINDOW_START = datetime(2024, 3, 1, tzinfo=UTC)
WINDOW_DAYS = 730
WINDOW_END = WINDOW_START + timedelta(days=WINDOW_DAYS)
LOCAL_OFFSET = timedelta(hours=6)  # Mexico City is UTC-6 all year (no daylight saving since 2022)
MIN_PEOPLE = 50
DATASET_NAME = "population"

_SURNAMES = mx.Weighted.zipf(mx.SURNAMES, 0.75)
_MALE = mx.Weighted.zipf(mx.MALE_NAMES, 1.0)
_FEMALE = mx.Weighted.zipf(mx.FEMALE_NAMES, 1.0)
_MALE_SECOND = mx.Weighted.zipf(mx.MALE_SECOND, 0.9)
_FEMALE_SECOND = mx.Weighted.zipf(mx.FEMALE_SECOND, 0.9)
_MUNICIPALITIES = mx.Weighted(mx.MUNICIPALITIES, [m.weight for m in mx.MUNICIPALITIES])
_STREET_TYPES = mx.Weighted.pairs(mx.STREET_TYPES)
_EMAIL_DOMAINS = mx.Weighted.pairs(mx.EMAIL_DOMAINS)
_PLATFORMS = mx.Weighted.pairs(mx.SOCIAL_PLATFORMS)

PROCEDURES = (
    ("licencia-conducir", "LIC", "la licencia de conducir", 5),
    ("predial", "PRE", "el pago del predial", 4),
    ("programa-social", "PSO", "el programa social", 4),
    ("cita-pasaporte", "PAS", "la cita del pasaporte", 2),
    ("acta-nacimiento", "ACT", "el acta de nacimiento", 3),
    ("constancia-domicilio", "CDO", "la constancia de domicilio", 2),
    ("pension-adultos-mayores", "PAM", "la pensión de adultos mayores", 2),
)
_PROCEDURES = mx.Weighted(PROCEDURES, [p[3] for p in PROCEDURES])

QUESTIONS = (
    "Quiero saber el estado de mi trámite{ref}",
    "Buenos días, ¿qué documentos necesito para {what}?",
    "Ya envié mis documentos para {what}{ref}, ¿cuándo me responden?",
    "No puedo entrar al portal para {what}",
    "¿Me pueden dar una cita para {what}?",
    "Buenas tardes, me rechazaron {what}{ref}, ¿qué hago?",
    "¿Hasta qué hora atienden en el módulo?",
)
# Same-sex given names with the same initial and first internal consonant: twins with these get CURPs
# that share the first 16 characters (RENAPO then tells them apart by the homonymy character).
CURP_HOMONYM_TWINS = (
    ("José", "Jesús", "H"),
    ("Mario", "Marco", "H"),
    ("Daniela", "Diana", "M"),
    ("Karla", "Karina", "M"),
)
ALIASES = ("La Güera", "El Chino", "Mamá de Sofi", "Don Pepe", "Flaca", "Tío Beto", "Gordito", "Princesa", "El Inge")


@dataclass
class Tenure:
    """A mobile number in one person's hands from `start` until `end`."""

    number: str
    start: datetime
    end: datetime


@dataclass
class Household:
    household_id: str
    municipality: mx.Municipality
    colonia: str
    postal_code: str
    street_type: str
    street: str
    number: str
    interior: str | None
    landline: str | None = None
    family_email: str | None = None
    members: list[Person] = field(default_factory=list)


@dataclass
class Person:
    person_id: str
    household: Household
    sex: str  # "H" hombre / "M" mujer, as in the CURP
    given_names: str
    paternal: str
    maternal: str | None
    birth_date: date
    birth_state: str
    curp: str = ""
    mobiles: list[Tenure] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    login_subject: str | None = None
    device_id: str | None = None
    app_platform: str | None = None
    social: list[tuple[str, str]] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)
    related: dict[str, str] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.given_names, self.paternal, self.maternal) if part)

    @property
    def family_name(self) -> str:
        return " ".join(part for part in (self.paternal, self.maternal) if part)

    @property
    def elderly(self) -> bool:
        return self.birth_date.year < 1960

    def mobile_at(self, moment: datetime) -> str | None:
        for tenure in self.mobiles:
            if tenure.start <= moment < tenure.end:
                return tenure.number
        return None


@dataclass
class Population:
    seed: int
    people: list[Person]
    households: list[Household]
    touchpoints: list[dict[str, Any]]
    truth: dict[str, str]
    stats: dict[str, Any]

    def people_rows(self) -> list[dict[str, Any]]:
        """Each person's true attributes and planted cases, for error analysis (not an engine input)."""
        return [
            {
                "person_id": p.person_id,
                "household_id": p.household.household_id,
                "given_names": p.given_names,
                "paternal": p.paternal,
                "maternal": p.maternal,
                "sex": p.sex,
                "birth_date": p.birth_date.isoformat(),
                "curp": p.curp,
                "mobiles": [{"number": t.number, "from": iso_z(t.start), "until": iso_z(t.end)} for t in p.mobiles],
                "landline": p.household.landline,
                "emails": p.emails,
                "login_subject": p.login_subject,
                "social": [f"{platform}:{handle}" for platform, handle in p.social],
                "tags": sorted(p.tags),
                "related": p.related,
            }
            for p in self.people
        ]


# --- people and households -----------------------------------------------------------------------------------


class _Builder:
    def __init__(self, people: int, seed: int) -> None:
        if people < MIN_PEOPLE:
            raise ValueError(f"a population needs at least {MIN_PEOPLE} people to hold every planted case")
        self.size = people
        self.seed = seed
        self.rng = random.Random(f"population:{seed}")
        self.people: list[Person] = []
        self.households: list[Household] = []
        self.numbers: set[str] = set()
        self.emails: set[str] = set()
        self.handles: set[str] = set()
        self.references: Counter[str] = Counter()

    # -- names and dates

    def given_names(self, sex: str, avoid: str | None = None, initial: str | None = None) -> str:
        table, seconds = (_MALE, _MALE_SECOND) if sex == "H" else (_FEMALE, _FEMALE_SECOND)
        for _ in range(200):
            first = table.pick(self.rng)
            if initial and not first.startswith(initial):
                continue
            p_second = 0.85 if first in ("María", "José") else 0.45 if first == "Juan" else 0.28
            name = first
            if self.rng.random() < p_second:
                second = seconds.pick(self.rng)
                if second != first:
                    name = f"{first} {second}"
            if name != avoid:
                return name
        return table.items[-1] if table.items[-1] != avoid else table.items[-2]

    def surname(self, avoid: str | None = None) -> str:
        while True:
            name = _SURNAMES.pick(self.rng)
            if name != avoid:
                return name

    def birth(self, first_year: int, last_year: int) -> date:
        start = date(first_year, 1, 1).toordinal()
        end = date(last_year, 12, 31).toordinal()
        return date.fromordinal(self.rng.randint(start, end))

    def birth_state(self, home: mx.Municipality) -> str:
        draw = self.rng.random()
        if draw < 0.78:
            return home.state_code
        if draw < 0.995:
            return self.rng.choice((*mx.STATES, *mx.OTHER_BIRTH_STATES))
        return "NE"  # born abroad

    # -- households

    def household(self) -> Household:
        municipality = _MUNICIPALITIES.pick(self.rng)
        colonia, postal_code = self.rng.choice(municipality.colonias)
        if self.rng.random() < 0.12 and municipality.state_code in ("DF", "MC"):
            number = f"Mz {self.rng.randint(1, 80)} Lt {self.rng.randint(1, 40)}"
        elif self.rng.random() < 0.03:
            number = "S/N"
        else:
            number = str(self.rng.randint(1, 3500)) + (self.rng.choice("ABC") if self.rng.random() < 0.08 else "")
        interior = str(self.rng.randint(1, 40)) if self.rng.random() < 0.25 else None
        household = Household(
            household_id=f"hh-{len(self.households) + 1:05d}",
            municipality=municipality,
            colonia=colonia,
            postal_code=postal_code,
            street_type=_STREET_TYPES.pick(self.rng),
            street=self.rng.choice(mx.STREETS),
            number=number,
            interior=interior,
        )
        self.households.append(household)
        return household

    def person(
        self,
        household: Household,
        sex: str,
        given_names: str,
        paternal: str,
        maternal: str | None,
        birth_date: date,
        birth_state: str | None = None,
    ) -> Person:
        person = Person(
            person_id=f"person-{len(self.people) + 1:05d}",
            household=household,
            sex=sex,
            given_names=given_names,
            paternal=paternal,
            maternal=maternal,
            birth_date=birth_date,
            birth_state=birth_state or self.birth_state(household.municipality),
        )
        household.members.append(person)
        self.people.append(person)
        return person

    def adult(self, household: Household, sex: str, first_year: int, last_year: int) -> Person:
        maternal = None if self.rng.random() < 0.01 else self.surname()
        return self.person(
            household,
            sex,
            self.given_names(sex),
            self.surname(avoid=maternal),
            maternal,
            self.birth(first_year, last_year),
        )

    def child(
        self, household: Household, father_surname: str, mother_surname: str | None, parent_birth: date
    ) -> Person | None:
        first = max(parent_birth.year + 19, 1950)
        last = min(parent_birth.year + 38, 2006)
        if first > last:
            return None
        sex = self.rng.choice("HM")
        return self.person(
            household, sex, self.given_names(sex), father_surname, mother_surname, self.birth(first, last)
        )

    def couple(self, household: Household, first_year: int, last_year: int) -> tuple[Person, Person]:
        father = self.adult(household, "H", first_year, last_year)
        year = min(max(father.birth_date.year + self.rng.randint(-6, 3), first_year), last_year + 3)
        mother = self.adult(household, "M", year, year)
        return father, mother

    def random_household(self) -> None:
        household = self.household()
        kind = self.rng.choices(
            ("single", "couple", "family", "single-parent", "three-generations"), (22, 18, 38, 14, 8)
        )[0]
        if kind == "single":
            self.adult(household, self.rng.choice("HM"), 1940, 2005)
            return
        if kind == "couple":
            self.couple(household, 1945, 2002)
            return
        father: Person | None
        mother: Person | None
        if kind == "three-generations":
            grandparent = self.adult(household, self.rng.choice("HM"), 1932, 1950)
            father, mother = self.couple(household, 1955, 1975)
            if grandparent.sex == "H":
                father.paternal = grandparent.paternal
            else:
                father.maternal = grandparent.paternal
        elif kind == "family":
            father, mother = self.couple(household, 1948, 1986)
        else:
            parent = self.adult(household, self.rng.choice("HM"), 1948, 1986)
            father, mother = (parent, None) if parent.sex == "H" else (None, parent)
        father_surname = father.paternal if father else self.surname()
        mother_surname = mother.paternal if mother else self.surname(avoid=father_surname)
        oldest = min(p.birth_date for p in (father, mother) if p is not None)
        for _ in range(self.rng.choice((1, 1, 2, 2, 3))):
            self.child(household, father_surname, mother_surname, oldest)

    def twins_household(self, curp_homonyms: bool = False) -> None:
        """Twins; with `curp_homonyms` their CURPs differ only in the homonymy character and check digit."""
        household = self.household()
        father, mother = self.couple(household, 1950, 1980)
        birth = self.birth(father.birth_date.year + 20, min(father.birth_date.year + 35, 2005))
        state = self.birth_state(household.municipality)
        if curp_homonyms:
            first_name, second_name, sex = self.rng.choice(CURP_HOMONYM_TWINS)
            first_sex = second_sex = sex
        else:
            first_sex, second_sex = self.rng.choice("HM"), self.rng.choice("HM")
            first_name = self.given_names(first_sex)
            # Half the twins share an initial, as parents like it.
            initial = first_name[0] if self.rng.random() < 0.5 else None
            second_name = self.given_names(second_sex, avoid=first_name, initial=initial)
        twin_a = self.person(household, first_sex, first_name, father.paternal, mother.paternal, birth, state)
        twin_b = self.person(household, second_sex, second_name, father.paternal, mother.paternal, birth, state)
        twin_a.tags.add("twin")
        twin_b.tags.add("twin")
        twin_a.related["twin"] = twin_b.person_id
        twin_b.related["twin"] = twin_a.person_id

    def junior_household(self) -> None:
        household = self.household()
        father = self.adult(household, "H", 1948, 1972)
        if father.maternal is None:
            father.maternal = self.surname(avoid=father.paternal)
        # The mother's first surname is the father's second one, so the son's full name is the father's.
        mother = self.person(
            household,
            "M",
            self.given_names("M"),
            father.maternal,
            self.surname(),
            self.birth(father.birth_date.year - 3, father.birth_date.year + 4),
        )
        junior = self.person(
            household,
            "H",
            father.given_names,
            father.paternal,
            mother.paternal,
            self.birth(father.birth_date.year + 20, min(father.birth_date.year + 36, 2005)),
        )
        father.tags.add("senior")
        junior.tags.add("junior")
        junior.related["junior_of"] = father.person_id
        father.related["senior_of"] = junior.person_id

    def namesake(self, household: Household) -> None:
        """A stranger with exactly the name of someone already generated, born elsewhere on another date."""
        candidates = [p for p in self.people if p.household is not household and p.birth_date.year < 2000]
        original = self.rng.choice(candidates)
        twin_name = self.person(
            household,
            original.sex,
            original.given_names,
            original.paternal,
            original.maternal,
            self.birth(max(original.birth_date.year - 25, 1940), min(original.birth_date.year + 25, 2004)),
        )
        twin_name.tags.add("namesake")
        original.tags.add("namesake")
        twin_name.related["namesake_of"] = original.person_id

    def build_people(self) -> None:
        quota = max(1, round(self.size / 250))
        for index in range(quota):
            self.twins_household(curp_homonyms=index == 0)
        for _ in range(quota):
            self.junior_household()
        planted_namesakes = max(1, round(self.size / 400))
        for _ in range(planted_namesakes):
            self.namesake(self.household())
        while len(self.people) < self.size:
            self.random_household()
        # The last household may overshoot: drop its youngest members.
        for person in self.people[self.size :]:
            person.household.members.remove(person)
        del self.people[self.size :]
        self.households = [h for h in self.households if h.members]

    # -- identifiers

    def assign_curps(self) -> None:
        bases: dict[str, int] = Counter()
        for person in self.people:
            base = mx.curp_base(
                person.given_names, person.paternal, person.maternal, person.birth_date, person.sex, person.birth_state
            )
            index = bases[base]
            bases[base] += 1
            person.curp = mx.complete_curp(base, mx.homonymy_characters(person.birth_date)[index])
            if index:
                person.tags.add("curp-homonym")
        self.curp_homonym_bases = sum(1 for count in bases.values() if count > 1)

    def assign_phones(self) -> None:
        rng = self.rng
        planted = {p.household.household_id for p in self.people if p.tags & {"twin", "junior", "senior"}}
        for household in self.households:
            old = any(p.elderly for p in household.members)
            if household.household_id in planted or rng.random() < (0.7 if old else 0.38):
                household.landline = mx.random_number(rng, household.municipality.area_code, True, self.numbers)
        for person in self.people:
            has_mobile = rng.random() < (0.72 if person.elderly else 0.95)
            if has_mobile or person.household.landline is None:
                area = person.household.municipality.area_code
                if rng.random() < 0.15:
                    area = rng.choice(mx.MUNICIPALITIES).area_code  # kept the number after moving
                number = mx.random_number(rng, area, False, self.numbers)
                person.mobiles.append(
                    Tenure(number, WINDOW_START - timedelta(days=3650), WINDOW_END + timedelta(days=1))
                )
            else:
                person.tags.add("landline-only")
        # Some people change number during the window; some old numbers go to someone else months later.
        owners = [p for p in self.people if p.mobiles]
        for person in owners:
            if rng.random() < 0.08:
                self.change_number(person, WINDOW_START + timedelta(days=rng.uniform(60, 650)))
        donors = [
            p for p in owners if "phone-changer" in p.tags and p.mobiles[0].end < WINDOW_START + timedelta(days=420)
        ]
        recycled_quota = max(2, round(self.size / 200))
        keepers = [p for p in owners if "phone-changer" not in p.tags]
        self.rng.shuffle(keepers)
        while len(donors) < recycled_quota:
            donor = keepers.pop()
            self.change_number(donor, WINDOW_START + timedelta(days=rng.uniform(90, 400)))
            donors.append(donor)
        rng.shuffle(donors)
        self.recycled = 0
        for donor in donors[:recycled_quota]:
            released = donor.mobiles[0]
            recipient = keepers.pop()
            while recipient.household is donor.household:
                recipient = keepers.pop()
            taken_over = released.end + timedelta(days=rng.uniform(90, 200))
            self.change_number(recipient, taken_over, number=released.number)
            donor.tags.add("recycled-donor")
            recipient.tags.add("recycled-recipient")
            donor.related["number_recycled_to"] = recipient.person_id
            recipient.related["number_recycled_from"] = donor.person_id
            self.recycled += 1

    def change_number(self, person: Person, moment: datetime, number: str | None = None) -> None:
        current = person.mobiles[-1]
        area = current.number[:2] if current.number[:2] in ("55", "33", "81") else current.number[:3]
        new = number or mx.random_number(self.rng, area, False, self.numbers)
        end = current.end
        current.end = moment
        person.mobiles.append(Tenure(new, moment, end))
        person.tags.add("phone-changer")

    def assign_online_identities(self) -> None:
        rng = self.rng
        for person in self.people:
            year = person.birth_date.year
            p_email, p_sso, p_social = (
                (0.85, 0.65, 0.5) if year >= 1980 else (0.6, 0.45, 0.33) if year >= 1960 else (0.3, 0.15, 0.1)
            )
            if rng.random() < p_email:
                person.emails.append(self.email_for(person))
                if rng.random() < 0.12:
                    person.emails.append(self.email_for(person))
            if rng.random() < p_sso:
                person.login_subject = f"sso|{uuid.UUID(int=rng.getrandbits(128), version=4)}"
                if rng.random() < 0.45:
                    person.device_id = hashlib.sha256(f"device:{self.seed}:{person.person_id}".encode()).hexdigest()[
                        :24
                    ]
                    person.app_platform = "android" if rng.random() < 0.78 else "ios"
            if rng.random() < p_social:
                for _ in range(1 + (rng.random() < 0.25)):
                    platform = _PLATFORMS.pick(rng)
                    if platform not in {existing for existing, _ in person.social}:
                        person.social.append((platform, self.handle_for(person)))
        # Family emails: a household account several members write from.
        families = [h for h in self.households if len(h.members) >= 2]
        quota = max(1, round(len(families) * 0.1))
        for household in rng.sample(families, min(quota, len(families))):
            first = household.members[0]
            local = _ascii(f"familia.{first.paternal}{first.maternal or ''}").replace(" ", "")
            household.family_email = self.unique_email(local, "gmail.com")
            for member in household.members:
                member.emails.append(household.family_email)
                member.tags.add("family-email")

    def email_for(self, person: Person) -> str:
        rng = self.rng
        given = _ascii(person.given_names.split()[0])
        paternal = _ascii(person.paternal).replace(" ", "")
        maternal = _ascii(person.maternal or "x").replace(" ", "")
        yy = f"{person.birth_date:%y}"
        nickname = typos.nickname_for(person.given_names)
        patterns = [
            f"{given}.{paternal}",
            f"{given}{paternal}{yy}",
            f"{given[0]}{paternal}{maternal[0]}",
            f"{given}_{paternal}{rng.randint(1, 999)}",
            f"{paternal}.{given}",
            f"{given}.{paternal}.{maternal}",
        ]
        if nickname:
            patterns.append(f"{_ascii(nickname)}{paternal}{yy}")
        return self.unique_email(rng.choice(patterns), _EMAIL_DOMAINS.pick(rng))

    def unique_email(self, local: str, domain: str) -> str:
        candidate = f"{local}@{domain}"
        while candidate in self.emails:
            candidate = f"{local}{self.rng.randint(2, 9999)}@{domain}"
        self.emails.add(candidate)
        return candidate

    def handle_for(self, person: Person) -> str:
        rng = self.rng
        given = _ascii(person.given_names.split()[0])
        paternal = _ascii(person.paternal).replace(" ", "")
        nickname = typos.nickname_for(person.given_names)
        options = [f"{given}{paternal}", f"{given}_{paternal[:4]}", f"{given[0]}{paternal}{person.birth_date:%y}"]
        if nickname:
            options.append(f"{_ascii(nickname)}_{paternal}")
        base = rng.choice(options)
        candidate = base
        while candidate in self.handles:
            candidate = f"{base}{rng.randint(1, 999)}"
        self.handles.add(candidate)
        return candidate

    # -- touchpoints

    def reference(self, prefix: str, year: int) -> str:
        key = f"{prefix}-{year}"
        self.references[key] += 1
        return f"{key}-{self.references[key]:06d}"


def _ascii(text: str) -> str:
    return mx.strip_accents(text, keep_enye=False).lower()


class _Emitter:
    """Turns (person, channel, moment) into an interchange line with that channel's partial identifiers."""

    def __init__(self, builder: _Builder) -> None:
        self.builder = builder
        self.rng = random.Random(f"touchpoints:{builder.seed}")
        self.counter: Counter[str] = Counter()
        self.lines: list[dict[str, Any]] = []
        self.truth: dict[str, str] = {}
        self.used_numbers: defaultdict[str, set[str]] = defaultdict(set)  # number -> person ids seen with it
        self.used_emails: defaultdict[str, set[str]] = defaultdict(set)

    # -- what a channel carries

    def emit(
        self,
        person: Person,
        channel: str,
        moment: datetime,
        case: tuple[str, str, str] | None,
        phone: str | None = None,
        email: str | None = None,
    ) -> None:
        """`case` is (procedure, reference, description); `phone` / `email` force the identifier used."""
        rng = self.rng
        moment = _business_hours(rng, channel, moment)
        channel = _usable_channel(person, channel, moment, phone)
        builder = getattr(self, f"_{channel}")
        citizen, details, text = builder(person, moment, case, phone, email)
        self.counter[person.person_id] += 1
        digest = hashlib.sha256(f"{self.builder.seed}|{person.person_id}|{self.counter[person.person_id]}".encode())
        touchpoint_id = f"tp-{digest.hexdigest()[:32]}"
        line: dict[str, Any] = {"touchpoint_id": touchpoint_id, "channel": channel, "occurred_at": iso_z(moment)}
        line["citizen"] = {key: value for key, value in citizen.items() if value is not None}
        if case is not None:
            p_reference = {"office": 0.8, "web": 0.85, "mobile": 0.85, "email": 0.4, "social": 0.05}.get(channel, 0.3)
            line["case"] = {"procedure": case[0]}
            if rng.random() < p_reference:
                line["case"]["reference"] = case[1]
        if text:
            line["text"] = text
            line["language"] = "es"
        line["details"] = {key: value for key, value in details.items() if value is not None}
        self.lines.append(line)
        self.truth[touchpoint_id] = person.person_id

    def _question(self, case: tuple[str, str, str] | None) -> str:
        what = case[2] if case else "un trámite"
        reference = f" {case[1]}" if case and self.rng.random() < 0.3 else ""
        return self.rng.choice(QUESTIONS).format(what=what, ref=reference)

    def _number(self, person: Person, moment: datetime, prefer_landline: float) -> tuple[str, bool] | None:
        mobile = person.mobile_at(moment)
        landline = person.household.landline
        if landline and (mobile is None or self.rng.random() < prefer_landline):
            return landline, False
        if mobile:
            return mobile, True
        return None

    def _record_number(self, person: Person, number: str) -> None:
        self.used_numbers[number].add(person.person_id)

    def _phone(self, person: Person, moment: datetime, case: Any, phone: str | None, email: str | None) -> Any:
        rng = self.rng
        number: str | None
        if phone is not None:
            number, is_mobile = phone, phone != person.household.landline
        else:
            found = self._number(person, moment, 0.55 if person.elderly else 0.2)
            number, is_mobile = found if found else (None, False)
        caller: str | None = None
        if number and (phone is not None or rng.random() >= 0.02):  # 2 % of calls come from a withheld number
            self._record_number(person, number)
            styles = ["national", "e164", "intl_spaced", "spaced"] + (["legacy_044"] if is_mobile else [])
            caller = mx.format_phone(number, rng.choices(styles, (45, 30, 10, 5, 10)[: len(styles)])[0])
        given = family = None
        if rng.random() < 0.35:
            given, family = typos.type_name(rng, person.given_names, person.paternal, person.maternal, typos.AGENT)
        details = {
            "direction": "inbound",
            "queue": case[0] if case else "general",
            "duration_seconds": rng.randint(30, 900),
        }
        summary = f"Llamada sobre {case[2]}." if case and rng.random() < 0.5 else None
        return {"phone": caller, "given_name": given, "family_name": family}, details, summary

    def _messaging(self, person: Person, moment: datetime, case: Any, phone: str | None, email: str | None) -> Any:
        rng = self.rng
        number = phone or person.mobile_at(moment)
        assert number is not None  # _usable_channel checked
        self._record_number(person, number)
        whatsapp = rng.random() < 0.8
        if whatsapp:
            style = rng.choices(("wa_521", "wa_plus521", "e164", "intl_noplus"), (35, 10, 30, 25))[0]
        else:
            style = rng.choices(("e164", "national", "legacy_044", "intl_spaced"), (40, 30, 15, 15))[0]
        text = self._question(case)
        if rng.random() < 0.1:
            given, family = typos.type_name(rng, person.given_names, person.paternal, person.maternal, typos.SELF)
            text = f"Hola, soy {given} {family}. {text}"
        details = {
            "network": "whatsapp" if whatsapp else "sms",
            "profile_name": self.display_name(person) if whatsapp and rng.random() < 0.85 else None,
        }
        return {"phone": mx.format_phone(number, style)}, details, text

    def _email(self, person: Person, moment: datetime, case: Any, phone: str | None, email: str | None) -> Any:
        rng = self.rng
        if email is None:
            email = person.emails[0] if rng.random() < 0.75 else rng.choice(person.emails)
        self.used_emails[email].add(person.person_id)
        shown = email
        if rng.random() < 0.08:  # mail clients keep whatever case the person typed
            local, _, domain = email.partition("@")
            shown = f"{'.'.join(part.capitalize() for part in local.split('.'))}@{domain.capitalize()}"
        draw = rng.random()
        from_name = (
            " ".join(typos.type_name(rng, person.given_names, person.paternal, person.maternal, typos.SELF))
            if draw < 0.6
            else self.display_name(person)
            if draw < 0.8
            else None
        )
        subject = f"Consulta sobre {case[2]}" if case else "Consulta"
        return {"email": shown}, {"from_name": from_name, "subject": subject}, f"{subject}\n\n{self._question(case)}"

    def _chat(self, person: Person, moment: datetime, case: Any, phone: str | None, email: str | None) -> Any:
        rng = self.rng
        citizen: dict[str, Any] = {}
        if rng.random() < 0.85:
            citizen["given_name"], citizen["family_name"] = typos.type_name(
                rng, person.given_names, person.paternal, person.maternal, typos.SELF
            )
        if person.emails and rng.random() < 0.5:
            citizen["email"] = person.emails[0]
            self.used_emails[person.emails[0]].add(person.person_id)
        found = self._number(person, moment, 0.1)
        if found and (rng.random() < 0.35 or not citizen):
            self._record_number(person, found[0])
            citizen["phone"] = mx.format_phone(found[0], rng.choice(("spaced", "national", "dashed", "parens")))
        if person.login_subject and rng.random() < 0.3:
            citizen["login_subject"] = person.login_subject
        details = {"bot_handled": rng.random() < 0.4}
        return citizen, details, self._question(case)

    def _social(self, person: Person, moment: datetime, case: Any, phone: str | None, email: str | None) -> Any:
        rng = self.rng
        platform, handle = rng.choice(person.social)
        shown = f"@{handle}" if rng.random() < 0.3 else handle
        details = {
            "platform": platform,
            "display_name": self.display_name(person) if rng.random() < 0.7 else None,
            "is_public": rng.random() < 0.3,
        }
        return {"social": {"platform": platform, "handle": shown}}, details, self._question(case)

    def _web(self, person: Person, moment: datetime, case: Any, phone: str | None, email: str | None) -> Any:
        rng = self.rng
        citizen: dict[str, Any] = {}
        signed_in = person.login_subject is not None and rng.random() < 0.9
        if signed_in:
            citizen["login_subject"] = person.login_subject
        if not signed_in or rng.random() < 0.25:
            citizen["given_name"], citizen["family_name"] = typos.type_name(
                rng, person.given_names, person.paternal, person.maternal, typos.SELF
            )
            if person.emails and rng.random() < 0.6:
                citizen["email"] = person.emails[0]
                self.used_emails[person.emails[0]].add(person.person_id)
            if rng.random() < 0.3 or ("email" not in citizen and not signed_in):
                citizen["national_id"] = person.curp if rng.random() < 0.95 else typos.type_curp(rng, person.curp)
        action = rng.choice(
            ("procedure_started", "form_submitted", "document_uploaded", "status_checked", "payment_made")
        )
        return citizen, {"action": action, "signed_in": signed_in}, None

    def _mobile(self, person: Person, moment: datetime, case: Any, phone: str | None, email: str | None) -> Any:
        rng = self.rng
        signed_in = rng.random() < 0.92
        details = {
            "action": rng.choice(
                ("status_checked", "form_submitted", "document_uploaded", "appointment_booked", "push_opened")
            ),
            "platform": person.app_platform,
            "device_id": person.device_id,
            "signed_in": signed_in,
        }
        return {"login_subject": person.login_subject if signed_in else None}, details, None

    def _office(self, person: Person, moment: datetime, case: Any, phone: str | None, email: str | None) -> Any:
        rng = self.rng
        citizen: dict[str, Any] = {}
        given, family = typos.type_name(rng, person.given_names, person.paternal, person.maternal, typos.CLERK)
        citizen["given_name"], citizen["family_name"] = given, family
        document = "ine"
        if rng.random() < 0.85:  # the CURP read from the ID (or keyed in from it)
            citizen["national_id"] = person.curp if rng.random() >= 0.04 else typos.type_curp(rng, person.curp)
            document = rng.choice(("ine", "ine", "curp", "licencia", "passport"))
        if rng.random() < 0.75:
            born = person.birth_date if rng.random() >= 0.04 else typos.type_date(rng, person.birth_date)
            citizen["birth_date"] = born.isoformat()
        found = (phone, phone != person.household.landline) if phone else self._number(person, moment, 0.25)
        if found and (phone is not None or rng.random() < 0.55):
            self._record_number(person, found[0])
            typed = found[0]
            if rng.random() < 0.02:  # one wrong digit; keep it only if it is still a possible number
                slipped = typos.type_phone_digits(rng, typed)
                typed = slipped if mx.is_valid_mx(slipped) else typed
            citizen["phone"] = mx.format_phone(
                typed, rng.choices(("national", "spaced", "dashed", "parens"), (40, 25, 25, 10))[0]
            )
        if rng.random() < 0.45:
            citizen["address"] = self.typed_address(person.household)
        if person.emails and rng.random() < 0.15:
            citizen["email"] = person.emails[0]
            self.used_emails[person.emails[0]].add(person.person_id)
        municipality = person.household.municipality
        office_id = f"{municipality.state_code}-{_ascii(municipality.name).replace(' ', '-')[:12].upper()}-01"
        details = {
            "office_id": office_id,
            "document_type": document,
            "outcome": rng.choice(("resolved", "documents_missing", "appointment_scheduled", "referred")),
        }
        purpose = f"Trámite: {case[2]}" if case else "Información general"
        return citizen, details, purpose

    # -- how people show up

    def display_name(self, person: Person) -> str:
        """A WhatsApp profile, sender or social display name: often partial, sometimes an alias."""
        rng = self.rng
        first = person.given_names.split()[0]
        nickname = typos.nickname_for(person.given_names)
        draw = rng.random()
        if draw < 0.35:
            name = f"{first} {person.paternal}"
        elif draw < 0.5 and nickname:
            name = f"{nickname} {person.paternal}"
        elif draw < 0.65:
            name = person.full_name
        elif draw < 0.78:
            name = first
        elif draw < 0.85:
            name = f"{first} {person.paternal[0]}."
        else:
            name = rng.choice(ALIASES)
        return mx.strip_accents(name) if rng.random() < 0.4 else name

    def typed_address(self, household: Household) -> dict[str, Any]:
        rng = self.rng
        street_type = household.street_type
        if street_type == "Av." and rng.random() < 0.3:
            street_type = "Avenida"
        elif street_type == "Calle" and rng.random() < 0.5:
            street_type = ""
        number = household.number
        if number[0].isdigit():
            number = rng.choices((number, f"#{number}", f"No. {number}"), (6, 2, 2))[0]
        line1 = " ".join(part for part in (street_type, household.street, number) if part)
        if household.interior:
            line1 += rng.choice(
                (f" Int. {household.interior}", f" Depto. {household.interior}", f"-{household.interior}")
            )
        colonia = household.colonia
        line2 = rng.choices((f"Col. {colonia}", colonia, f"Colonia {colonia}"), (5, 3, 2))[0]
        locality = household.municipality.name
        region = rng.choice(mx.STATES[household.municipality.state_code].names)
        postal: str | None = household.postal_code
        if rng.random() < 0.05:
            postal = None
        elif rng.random() < 0.03 and postal:
            postal = postal[:-1] + str((int(postal[-1]) + 1) % 10)
        if rng.random() < 0.4:
            line1, line2, locality, region = (mx.strip_accents(v) for v in (line1, line2, locality, region))
        if rng.random() < 0.25:
            line1, line2, locality, region = (v.upper() for v in (line1, line2, locality, region))
        return {"line1": line1, "line2": line2, "locality": locality, "region": region, "postal_code": postal}


def _usable_channel(person: Person, channel: str, moment: datetime, phone: str | None) -> str:
    """The channel itself when the person can use it then, else the one they would turn to instead."""
    if channel == "messaging" and phone is None and person.mobile_at(moment) is None:
        return "phone"
    if channel == "email" and not person.emails:
        return "web"
    if channel == "social" and not person.social:
        return "messaging" if person.mobile_at(moment) else "phone"
    if channel == "mobile" and person.device_id is None:
        return "web"
    return channel


def _business_hours(rng: random.Random, channel: str, moment: datetime) -> datetime:
    """Move a moment to a plausible local time of day for the channel (offices: weekdays 8:30-15:00)."""
    local_day = (moment - LOCAL_OFFSET).date()
    if channel == "office":
        while local_day.weekday() >= 5:
            local_day += timedelta(days=1)
        minutes = rng.randint(8 * 60 + 30, 15 * 60)
    elif channel == "phone":
        minutes = rng.randint(8 * 60, 20 * 60)
    else:
        minutes = rng.randint(7 * 60, 23 * 60 + 59)
    local = datetime(local_day.year, local_day.month, local_day.day, tzinfo=UTC) + timedelta(
        minutes=minutes, seconds=rng.randint(0, 59)
    )
    return min(local + LOCAL_OFFSET, WINDOW_END - timedelta(seconds=1))


def _channel_weights(person: Person) -> tuple[list[str], list[float]]:
    digital = 1.0 if person.birth_date.year >= 1975 else 0.6 if person.birth_date.year >= 1960 else 0.25
    weights = {
        "phone": 1.8 if person.elderly else 1.0,
        "messaging": (0.6 if person.elderly else 1.3) if person.mobiles else 0.0,
        "email": 0.6 if person.emails else 0.0,
        "chat": 0.35 * digital,
        "social": 0.5 if person.social else 0.0,
        "web": 0.9 if person.login_subject else 0.15 * digital,
        "mobile": 0.9 if person.device_id else 0.0,
        "office": 1.2 if person.elderly else 0.7,
    }
    channels = [c for c, w in weights.items() if w > 0]
    return channels, [weights[c] for c in channels]


def _emit_episodes(builder: _Builder, emitter: _Emitter) -> None:
    rng = random.Random(f"episodes:{builder.seed}")
    for person in builder.people:
        channels, weights = _channel_weights(person)
        episodes = 1
        while episodes < 6 and rng.random() < 0.45:
            episodes += 1
        for _ in range(episodes):
            procedure, prefix, description, _weight = _PROCEDURES.pick(rng)
            moment = WINDOW_START + timedelta(days=rng.uniform(0, WINDOW_DAYS - 40))
            case = (procedure, builder.reference(prefix, moment.year), description) if rng.random() < 0.85 else None
            steps = 1
            while steps < 8 and rng.random() < 0.55:
                steps += 1
            for _step in range(steps):
                emitter.emit(person, rng.choices(channels, weights)[0], moment, case)
                moment += timedelta(days=rng.expovariate(1 / 3))


def _emit_planted(builder: _Builder, emitter: _Emitter) -> None:
    """Touchpoints that make each planted case visible to an engine, whatever the random episodes did."""
    rng = random.Random(f"planted:{builder.seed}")

    def when(first: datetime, last: datetime) -> datetime:
        return first + (last - first) * rng.random()

    def anytime() -> datetime:
        return when(WINDOW_START, WINDOW_END - timedelta(days=2))

    for person in builder.people:
        if person.tags & {"twin", "junior", "senior", "namesake"}:
            emitter.emit(person, "office", anytime(), None)
        if person.tags & {"twin", "junior", "senior"} and person.household.landline:
            emitter.emit(person, "phone", anytime(), None, phone=person.household.landline)
        if "recycled-donor" in person.tags:
            released = person.mobiles[0]
            emitter.emit(
                person, "messaging", when(released.end - timedelta(days=60), released.end - timedelta(days=1)), None
            )
        if "recycled-recipient" in person.tags:
            taken = person.mobiles[-1]
            moment = when(
                taken.start + timedelta(days=1), min(taken.start + timedelta(days=90), WINDOW_END - timedelta(days=2))
            )
            emitter.emit(person, rng.choice(("messaging", "phone")), moment, None, phone=taken.number)
    shared = [h for h in builder.households if h.landline and len(h.members) >= 2]
    for household in shared[: max(3, round(len(builder.households) / 100))]:
        for member in household.members[:2]:
            emitter.emit(member, "phone", anytime(), None, phone=household.landline)
    for household in builder.households:
        if household.family_email:
            for member in household.members[:2]:
                emitter.emit(member, "email", anytime(), None, email=household.family_email)


def _stats(builder: _Builder, emitter: _Emitter) -> dict[str, Any]:
    people = builder.people
    by_name: Counter[tuple[str, str, str | None]] = Counter((p.given_names, p.paternal, p.maternal) for p in people)
    by_short: Counter[tuple[str, str]] = Counter((p.given_names.split()[0], p.paternal) for p in people)
    touchpoints_per_person = Counter(emitter.truth.values())
    identifying = ("phone", "email", "national_id", "login_subject", "social")
    anonymous = sum(1 for line in emitter.lines if not any(line["citizen"].get(key) for key in identifying))
    return {
        "people": len(people),
        "households": len(builder.households),
        "touchpoints": len(emitter.lines),
        "touchpoints_by_channel": dict(sorted(Counter(line["channel"] for line in emitter.lines).items())),
        "people_with_one_touchpoint": sum(1 for count in touchpoints_per_person.values() if count == 1),
        "max_touchpoints_per_person": max(touchpoints_per_person.values()),
        "namesake_groups": sum(1 for count in by_name.values() if count > 1),
        "people_in_namesake_groups": sum(count for count in by_name.values() if count > 1),
        "first_name_and_paternal_groups": sum(1 for count in by_short.values() if count > 1),
        "twin_pairs": sum(1 for p in people if "twin" in p.tags) // 2,
        "junior_pairs": sum(1 for p in people if "junior" in p.tags),
        "curp_homonym_bases": builder.curp_homonym_bases,
        "shared_landlines": sum(1 for h in builder.households if h.landline and len(h.members) >= 2),
        "landlines_used_by_several": sum(
            1 for h in builder.households if h.landline and len(emitter.used_numbers.get(h.landline, ())) >= 2
        ),
        "family_emails": sum(1 for h in builder.households if h.family_email),
        "phone_changers": sum(1 for p in people if "phone-changer" in p.tags),
        "recycled_numbers": builder.recycled,
        "recycled_numbers_used_by_both": sum(
            1
            for p in people
            if "recycled-donor" in p.tags and len(emitter.used_numbers.get(p.mobiles[0].number, ())) >= 2
        ),
        "landline_only_people": sum(1 for p in people if "landline-only" in p.tags),
        "sso_users": sum(1 for p in people if p.login_subject),
        "app_users": sum(1 for p in people if p.device_id),
        "people_with_email": sum(1 for p in people if p.emails),
        "people_on_social": sum(1 for p in people if p.social),
        "touchpoints_without_identifier": anonymous,
    }


def generate(people: int = 2000, seed: int = DEFAULT_SEED) -> Population:
    """A seeded population and its touchpoints: the same arguments always give the same output."""
    builder = _Builder(people, seed)
    builder.build_people()
    builder.assign_curps()
    builder.assign_phones()
    builder.assign_online_identities()
    emitter = _Emitter(builder)
    _emit_episodes(builder, emitter)
    _emit_planted(builder, emitter)
    order = sorted(
        range(len(emitter.lines)), key=lambda i: (emitter.lines[i]["occurred_at"], emitter.lines[i]["touchpoint_id"])
    )
    lines = [emitter.lines[i] for i in order]
    truth = {line["touchpoint_id"]: emitter.truth[line["touchpoint_id"]] for line in lines}
    emitter.lines = lines
    return Population(seed, builder.people, builder.households, lines, truth, _stats(builder, emitter))


def write_population(
    out_dir: Path, people: int = 2000, seed: int = DEFAULT_SEED, name: str = DATASET_NAME
) -> tuple[DatasetFiles, Population]:
    started = time.perf_counter()
    population = generate(people, seed)
    count = write_jsonl(interchange_path(out_dir, name), population.touchpoints)
    write_jsonl(truth_path(out_dir, name), truth_rows(population.truth))
    write_jsonl(out_dir / f"{name}.people.jsonl", population.people_rows())
    files = DatasetFiles(
        name=name,
        interchange=interchange_path(out_dir, name),
        truth=truth_path(out_dir, name),
        touchpoints=count,
        entities=len(population.people),
        seconds=time.perf_counter() - started,
    )
    return files, population


def format_summary(stats: dict[str, Any]) -> str:
    width = max(len(key) for key in stats)
    lines = []
    for key, value in stats.items():
        shown = ", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict) else str(value)
        lines.append(f"  {key.replace('_', ' '):<{width}}  {shown}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.identity.population", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--name", default=DATASET_NAME)
    args = parser.parse_args(argv)
    files, population = write_population(args.out, args.people, args.seed, args.name)
    print(f"{files.name}: {files.touchpoints} touchpoints of {files.entities} people in {files.seconds:.1f} s")
    print(f"  -> {files.interchange}, {files.truth}")
    print(format_summary(population.stats))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
