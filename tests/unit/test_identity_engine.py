"""The identity engine on the cases an agency cares about: same person across channels, never two people as one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from shared.exceptions import ConflictError
from shared.identity.engine import IdentityEngine, Resolution
from shared.identity.hashing import IdentifierHasher
from shared.models.touchpoint import Address, Channel, CitizenClaims, SocialAccount, Touchpoint, touchpoint_id_for
from tests.fakes import FakeIdentityRepository, FakePublisher, FakeTouchpointRepository

pytestmark = pytest.mark.unit

MARIA_CURP = "HEGM870412MDFRRR02"
HOME = Address(line1="Av. Juárez 12", locality="Cuauhtémoc", region="CDMX", postal_code="06000")


class World:
    def __init__(self) -> None:
        self.touchpoints = FakeTouchpointRepository()
        self.identity = FakeIdentityRepository()
        self.publisher = FakePublisher()
        self.engine = IdentityEngine(
            self.touchpoints, self.identity, IdentifierHasher(b"k" * 32), self.publisher, default_region="MX"
        )
        self.clock = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self._n = 0

    def arrive(self, channel: Channel, *, at: datetime | None = None, **claims: Any) -> Resolution:
        self._n += 1
        self.clock = at or self.clock + timedelta(hours=1)
        touchpoint = Touchpoint(
            touchpoint_id=touchpoint_id_for(channel, f"m{self._n}"),
            channel=channel,
            occurred_at=self.clock,
            citizen=CitizenClaims.model_validate(claims),
        )
        self.touchpoints.add(touchpoint)
        return self.engine.resolve(touchpoint.touchpoint_id)

    def survivors(self) -> list[str]:
        return [c for c, r in self.identity.records.items() if r.merged_into is None]

    def current(self, citizen_id: str | None) -> str:
        assert citizen_id is not None
        record = self.identity.records[citizen_id]
        return record.merged_into or record.citizen_id


@pytest.fixture
def world() -> World:
    return World()


def maria(**extra: Any) -> dict[str, Any]:
    return {
        "given_name": "María José",
        "family_name": "Hernández García",
        "birth_date": date(1987, 4, 12),
        "national_id": MARIA_CURP,
        "phone": "55 1234 5678",
        "address": HOME,
        **extra,
    }


def test_one_person_across_channels_and_number_formats(world: World) -> None:
    # Given María is registered at an office with her CURP and mobile
    office = world.arrive(Channel.OFFICE, **maria())
    # When she writes on WhatsApp from the 521 form (number only: WhatsApp shows it is a mobile, hers)
    chat = world.arrive(Channel.MESSAGING, phone="5215512345678")
    # and calls from the legacy 044 form
    call = world.arrive(Channel.PHONE, phone="044 55 1234 5678")
    # And later emails with an abbreviated name, swapped surnames and her birth date
    email = world.arrive(
        Channel.EMAIL,
        given_name="Ma. José",
        family_name="García Hernández",
        birth_date=date(1987, 4, 12),
        email="mj.hernandez@example.mx",
    )
    # Then all four are one citizen, each link explained by its rule
    assert office.outcome == "created"
    assert {call.citizen_id, chat.citizen_id, email.citizen_id} == {office.citizen_id}
    assert call.link.rule == "sole-holder:phone"
    assert email.link.rule == "match" and email.link.score >= 12
    assert world.survivors() == [office.citizen_id]


def test_twins_sharing_home_and_landline_stay_two_people(world: World) -> None:
    shared = {"family_name": "López Ruiz", "birth_date": date(2001, 9, 3), "phone": "55 5555 0101", "address": HOME}
    juan = world.arrive(Channel.OFFICE, given_name="Juan Carlos", **shared)
    jose = world.arrive(Channel.OFFICE, given_name="José Luis", **shared)
    assert juan.citizen_id != jose.citizen_id
    assert len(world.survivors()) == 2


def test_parent_and_child_with_the_same_name_stay_two_people(world: World) -> None:
    father = world.arrive(
        Channel.OFFICE, given_name="Pedro", family_name="Ramírez Soto", birth_date=date(1960, 2, 1), address=HOME
    )
    son = world.arrive(
        Channel.OFFICE, given_name="Pedro", family_name="Ramírez Soto", birth_date=date(1990, 7, 9), address=HOME
    )
    assert father.citizen_id != son.citizen_id


def test_namesakes_elsewhere_stay_two_people(world: World) -> None:
    a = world.arrive(
        Channel.WEB, given_name="Juan", family_name="Hernández", birth_date=date(1980, 1, 1), login_subject="sso|a"
    )
    b = world.arrive(
        Channel.WEB, given_name="Juan", family_name="Hernández", birth_date=date(1980, 1, 1), login_subject="sso|b"
    )
    # same name and birth date, but two different verified SSO accounts: two people
    assert a.citizen_id != b.citizen_id


def test_different_valid_curps_never_merge(world: World) -> None:
    first = world.arrive(Channel.OFFICE, **maria())
    other = world.arrive(Channel.OFFICE, **maria(national_id="HEGM870412MDFRRR10", phone=None))
    assert first.citizen_id != other.citizen_id
    assert other.link.rule == "new"


def test_recycled_number_goes_to_its_current_holder(world: World) -> None:
    # Given Lucía used a number in 2024 and the carrier gave it to Pedro in 2026
    lucia = world.arrive(
        Channel.MESSAGING,
        given_name="Lucía",
        family_name="Vega",
        birth_date=date(1950, 3, 3),
        phone="55 7777 0000",
        at=datetime(2024, 1, 10, tzinfo=UTC),
    )
    pedro = world.arrive(
        Channel.MESSAGING,
        given_name="Pedro",
        family_name="Núñez",
        birth_date=date(1999, 5, 5),
        phone="55 7777 0000",
        at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    # Then they are two people, and a number-only call today belongs to Pedro
    assert lucia.citizen_id != pedro.citizen_id
    call = world.arrive(Channel.PHONE, phone="5577770000", at=datetime(2026, 3, 2, tzinfo=UTC))
    assert call.citizen_id == pedro.citizen_id
    assert call.link.rule == "recent-holder:phone"


def test_household_landline_call_goes_to_review_and_an_operator_decides(world: World) -> None:
    # Numbers given at an office may be the household landline: a nameless call from one is not assumed
    mother = world.arrive(
        Channel.OFFICE, given_name="Rosa", family_name="Luna", birth_date=date(1970, 1, 1), phone="55 2000 1000"
    )
    daughter = world.arrive(
        Channel.OFFICE, given_name="Ana", family_name="Luna", birth_date=date(1998, 1, 1), phone="55 2000 1000"
    )
    call = world.arrive(Channel.PHONE, phone="55 2000 1000")
    assert call.outcome == "review" and call.citizen_id is None
    assert {c.citizen_id for c in call.review.candidates} == {mother.citizen_id, daughter.citizen_id}
    # When the operator says it was the daughter
    world.engine.decide(call.review.review_id, accept=True, actor="agente-1", chosen_citizen_id=daughter.citizen_id)
    # Then the call is on her timeline and the task is closed
    assert call.touchpoint_id in world.identity.timelines[daughter.citizen_id]
    assert world.identity.reviews[call.review.review_id].status == "accepted"
    with pytest.raises(ConflictError):
        world.engine.decide(call.review.review_id, accept=False, actor="agente-2")


def test_grey_band_opens_a_review_and_acceptance_merges(world: World) -> None:
    first = world.arrive(Channel.OFFICE, given_name="Carmen", family_name="Rodríguez Flores", address=HOME)
    # Same name and address, nothing else: possible, not certain
    second = world.arrive(
        Channel.EMAIL, given_name="Carmen", family_name="Rodríguez Flores", address=HOME, email="carmen@example.mx"
    )
    assert second.outcome == "created" and second.review is not None
    assert second.review.candidates[0].citizen_id == first.citizen_id
    world.engine.decide(second.review.review_id, accept=True, actor="supervisor-1")
    assert world.current(second.citizen_id) == first.citizen_id


def test_rejected_review_keeps_them_apart(world: World) -> None:
    first = world.arrive(Channel.OFFICE, given_name="Carmen", family_name="Rodríguez Flores", address=HOME)
    second = world.arrive(
        Channel.EMAIL, given_name="Carmen", family_name="Rodríguez Flores", address=HOME, email="c2@example.mx"
    )
    world.engine.decide(second.review.review_id, accept=False, actor="supervisor-1", reason="otra persona")
    assert world.identity.not_same(first.citizen_id, second.citizen_id)
    assert world.current(second.citizen_id) == second.citizen_id


def test_verified_login_bridges_two_records_and_split_restores_them_exactly(world: World) -> None:
    # Given the same person known twice: by email (web) and by phone (office), nothing in common
    world.arrive(Channel.WEB, login_subject="sso|mj", email="mj@example.mx")
    world.arrive(Channel.OFFICE, **maria())
    before = {c: world.identity.records[c].model_dump(exclude={"version", "updated_at"}) for c in world.survivors()}
    assert len(before) == 2
    # When the app sends an event with her SSO subject, her mobile number and her name
    bridge = world.arrive(Channel.MOBILE, login_subject="sso|mj", phone="55 1234 5678", given_name="María José")
    # Then the login links it, and since it also links to the office record, the two records merge
    assert bridge.link.rule == "verified:login_subject"
    (merge,) = bridge.merges
    assert merge.rule == "bridge:verified:login_subject"
    assert world.survivors() == [merge.survivor]
    # When an operator splits them with a reason
    world.engine.split(merge.merge_id, reason="son dos personas distintas", actor="supervisor-1")
    # Then both records are back exactly as they were, and will not be auto-merged again
    after = {c: world.identity.records[c].model_dump(exclude={"version", "updated_at"}) for c in before}
    absorbed = merge.absorbed
    assert after[absorbed] == before[absorbed]
    assert world.identity.not_same(merge.survivor, absorbed)
    assert world.identity.merges[merge.merge_id].status == "split"


def test_merge_then_split_restores_both_and_their_timelines(world: World) -> None:
    a = world.arrive(Channel.EMAIL, given_name="Luis", family_name="Castillo", email="luis@example.mx")
    b = world.arrive(Channel.PHONE, phone="55 3333 4444", given_name="Luis", family_name="Castillo Ortega")
    before = {
        c: world.identity.records[c].model_dump(exclude={"version", "updated_at"}) for c in (a.citizen_id, b.citizen_id)
    }
    merge = world.engine.merge(a.citizen_id, b.citizen_id, rule="manual", actor="supervisor-1")
    assert world.current(b.citizen_id) == a.citizen_id
    world.engine.split(merge.merge_id, reason="error de captura", actor="supervisor-1")
    after = {c: world.identity.records[c].model_dump(exclude={"version", "updated_at"}) for c in before}
    assert after == before
    assert b.touchpoint_id in world.identity.timelines[b.citizen_id]


def test_racing_writer_does_not_lose_the_update(world: World) -> None:
    first = world.arrive(Channel.OFFICE, **maria())
    record = world.identity.records[first.citizen_id]

    def concurrent_update() -> None:  # another touchpoint updates María between our read and our write
        world.identity.records[record.citizen_id] = record.model_copy(update={"version": record.version + 1})

    world.identity.before_save.append(concurrent_update)
    again = world.arrive(Channel.EMAIL, email="otra@example.mx", **{k: v for k, v in maria().items() if k != "phone"})
    assert again.citizen_id == first.citizen_id
    assert any(i.value == "otra@example.mx" for i in world.identity.records[first.citizen_id].identifiers)


def test_resolution_is_idempotent_and_anonymous_stays_anonymous(world: World) -> None:
    first = world.arrive(Channel.SOCIAL, social=SocialAccount(platform="Facebook", handle="@MJHG87"))
    assert world.engine.resolve(first.touchpoint_id).outcome == "already"
    assert len(world.survivors()) == 1
    anonymous = world.arrive(Channel.CHAT)
    assert anonymous.outcome == "anonymous"


def test_index_keys_hold_no_raw_identifier(world: World) -> None:
    world.arrive(Channel.OFFICE, **maria(email="mj@example.mx"))
    keys = " ".join([*world.identity.holders_by_digest, *world.identity.blocks, *world.identity.first_claims])
    for raw in ("5512345678", "mj@example.mx", MARIA_CURP, "hernandez", "1987"):
        assert raw not in keys.lower()


def test_unnamed_address_waits_until_its_holder_names_themselves(world: World) -> None:
    # Given Jorge first writes from an address nobody has named yet: it could be a shared one
    email = world.arrive(Channel.EMAIL, email="jorge.ramirez@example.com")
    assert email.outcome == "unattributed" and email.citizen_id is None
    # When he signs in on the portal with the same email and his name
    portal = world.arrive(
        Channel.WEB, login_subject="sso|jorge", email="Jorge.Ramirez@example.com", given_name="Jorge Alberto"
    )
    # Then the address names its holder, and later emails land on his record
    later = world.arrive(Channel.EMAIL, email="jorge.ramirez@example.com")
    assert later.citizen_id == portal.citizen_id and later.link.rule == "sole-holder:email"


def test_unknown_relative_on_a_known_landline_is_not_given_to_the_known_person(world: World) -> None:
    rosa = world.arrive(
        Channel.OFFICE, given_name="Rosa", family_name="Luna Vega", birth_date=date(1970, 1, 1), phone="55 2000 1000"
    )
    # When her daughter, never seen before, calls from the family landline and gives her name
    ana = world.arrive(Channel.PHONE, phone="55 2000 1000", given_name="Ana", family_name="Luna Vega")
    # Then the call is not put on Rosa's record
    assert ana.citizen_id != rosa.citizen_id


def test_family_email_without_a_name_is_not_handed_to_the_first_family_member(world: World) -> None:
    # Given the mother registered at the office with the family's email
    mother = world.arrive(
        Channel.OFFICE,
        given_name="Rosa",
        family_name="Díaz Ramírez",
        birth_date=date(1970, 1, 1),
        email="familia.diazramirez@gmail.com",
    )
    # When an email arrives from that address with no name
    email = world.arrive(Channel.EMAIL, email="familia.diazramirez@gmail.com")
    # Then an operator decides whose it is, instead of the engine putting it on the mother's record
    assert email.outcome == "review" and email.review.candidates[0].citizen_id == mother.citizen_id
    # while an address that names her is hers
    world.arrive(
        Channel.WEB,
        given_name="Rosa",
        family_name="Díaz Ramírez",
        email="rosa.diaz70@example.mx",
        login_subject="sso|rosa",
    )
    own = world.arrive(Channel.EMAIL, email="rosa.diaz70@example.mx")
    assert own.outcome == "linked"


def test_nameless_call_from_a_number_nobody_holds_stays_unattributed(world: World) -> None:
    call = world.arrive(Channel.PHONE, phone="55 9000 1000")
    assert call.outcome == "unattributed" and call.citizen_id is None
    assert world.survivors() == []
    # while a WhatsApp message shows a mobile: one person's, so it starts a citizen
    chat = world.arrive(Channel.MESSAGING, phone="55 9000 2000")
    assert chat.outcome == "created"
    assert world.engine.resolve(call.touchpoint_id).outcome == "already"


def test_nameless_call_from_her_mobile_goes_to_her_once_whatsapp_showed_it_is_a_mobile(world: World) -> None:
    office = world.arrive(Channel.OFFICE, **maria())
    before = world.arrive(Channel.PHONE, phone="55 1234 5678")
    assert before.outcome == "review"  # one candidate, but the number could be her household's landline
    world.arrive(Channel.MESSAGING, phone="5215512345678")
    after = world.arrive(Channel.PHONE, phone="55 1234 5678")
    assert after.citizen_id == office.citizen_id and after.link.rule == "sole-holder:phone"


def test_number_idle_for_a_year_is_not_assumed_to_be_the_same_person(world: World) -> None:
    world.arrive(Channel.MESSAGING, phone="55 6000 7000", at=datetime(2024, 1, 1, tzinfo=UTC))
    later = world.arrive(Channel.MESSAGING, phone="55 6000 7000", at=datetime(2025, 6, 1, tzinfo=UTC))
    assert later.outcome == "review" and later.review.kind == "shared_identifier"
