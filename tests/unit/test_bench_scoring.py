"""Benchmark scoring: pairwise and B-cubed numbers a reader can check by hand, and the CLI that prints them."""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.identity.scoring import load_links, load_truth, main, score

pytestmark = pytest.mark.unit

# Truth: E1 = {t1, t2, t3}, E2 = {t4, t5}, E3 = {t6}.
TRUTH = {"t1": "E1", "t2": "E1", "t3": "E1", "t4": "E2", "t5": "E2", "t6": "E3"}


def test_perfect_clustering_scores_one_everywhere() -> None:
    # Given links that reproduce the truth under other names
    links = {tp: f"citizen-{entity}" for tp, entity in TRUTH.items()}
    # When scored
    scores = score(TRUTH, links)
    # Then every metric is 1 and nothing is wrongly merged or missed
    assert (scores.pairwise.precision, scores.pairwise.recall, scores.pairwise.f1) == (1.0, 1.0, 1.0)
    assert (scores.bcubed.precision, scores.bcubed.recall, scores.bcubed.f1) == (1.0, 1.0, 1.0)
    assert (scores.wrong_merges, scores.missed_links) == (0, 0)
    assert (scores.true_pairs, scores.predicted_pairs, scores.correct_pairs) == (4, 4, 4)


def test_all_singletons_find_no_pair_but_claim_nothing_wrong() -> None:
    # Given an engine that linked nothing (missing and null links alike are singletons)
    links: dict[str, str | None] = {"t1": None, "t2": None}
    # When scored
    scores = score(TRUTH, links)
    # Then pairwise recall is 0 and precision 1.0 by convention (no predicted pair, so none is wrong)
    assert scores.pairwise.precision == 1.0
    assert scores.pairwise.recall == 0.0
    assert scores.pairwise.f1 == 0.0
    # And B-cubed still credits each touchpoint with finding itself: recall = entities / touchpoints
    assert scores.bcubed.precision == 1.0
    assert scores.bcubed.recall == pytest.approx((1 / 3 + 1 / 3 + 1 / 3 + 1 / 2 + 1 / 2 + 1) / 6)
    assert scores.predicted_clusters == 6
    assert scores.missed_links == 2
    assert scores.linked == 0


def test_one_wrong_merge_of_two_single_record_entities() -> None:
    # Given two people with one touchpoint each, merged into one citizen
    truth = {"a": "P1", "b": "P2"}
    scores = score(truth, {"a": "C", "b": "C"})
    # Then the only predicted pair is wrong: pairwise precision 0; no true pair to find: recall 1.0 by convention
    assert (scores.predicted_pairs, scores.correct_pairs, scores.true_pairs) == (1, 0, 0)
    assert scores.pairwise.precision == 0.0
    assert scores.pairwise.recall == 1.0
    assert scores.pairwise.f1 == 0.0
    # And each touchpoint's cluster is half someone else: B-cubed precision 1/2, recall 1
    assert scores.bcubed.precision == pytest.approx(0.5)
    assert scores.bcubed.recall == 1.0
    assert scores.wrong_merges == 1
    assert scores.missed_links == 0


def test_split_and_merge_together_hand_computed() -> None:
    # Given clusters C1 = {t1, t2}, C2 = {t3, t4, t5} and t6 unlinked
    links = {"t1": "C1", "t2": "C1", "t3": "C2", "t4": "C2", "t5": "C2", "t6": None}
    scores = score(TRUTH, links)
    # Then correct pairs = (t1,t2) + (t4,t5) = 2 of 4 predicted and 4 true
    assert (scores.correct_pairs, scores.predicted_pairs, scores.true_pairs) == (2, 4, 4)
    assert scores.pairwise.precision == pytest.approx(0.5)
    assert scores.pairwise.recall == pytest.approx(0.5)
    assert scores.pairwise.f1 == pytest.approx(0.5)
    # B-cubed precision per touchpoint: t1,t2: 2/2; t3: 1/3; t4,t5: 2/3; t6: 1 -> 14/3 / 6
    assert scores.bcubed.precision == pytest.approx((1 + 1 + 1 / 3 + 2 / 3 + 2 / 3 + 1) / 6)
    # B-cubed recall per touchpoint: t1,t2: 2/3; t3: 1/3; t4,t5: 2/2; t6: 1
    assert scores.bcubed.recall == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1 + 1 + 1) / 6)
    # C2 spans E1 and E2; E1 is split over C1 and C2
    assert scores.wrong_merges == 1
    assert scores.missed_links == 1


def test_everything_in_one_cluster() -> None:
    truth = {"a": "E1", "b": "E1", "c": "E2"}
    scores = score(truth, {"a": "X", "b": "X", "c": "X"})
    assert scores.pairwise.precision == pytest.approx(1 / 3)
    assert scores.pairwise.recall == 1.0
    assert scores.pairwise.f1 == pytest.approx(0.5)
    assert scores.bcubed.precision == pytest.approx((2 / 3 + 2 / 3 + 1 / 3) / 3)
    assert scores.bcubed.recall == 1.0


def test_unlinked_touchpoints_of_one_entity_stay_apart_and_unknown_links_are_ignored() -> None:
    truth = {"a": "E1", "b": "E1"}
    scores = score(truth, {"a": None, "b": None, "zz": "C9"})
    assert scores.predicted_pairs == 0
    assert scores.pairwise.recall == 0.0
    assert scores.unknown == 1
    assert scores.touchpoints == 2


def test_empty_truth_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        score({}, {})


def test_hundred_thousand_touchpoints_score_from_cluster_sizes() -> None:
    # Given 25,000 people with 4 touchpoints each, every person split into two clusters of 2
    truth = {f"tp{i}": f"E{i // 4}" for i in range(100_000)}
    links = {f"tp{i}": f"C{i // 2}" for i in range(100_000)}
    # When scored
    scores = score(truth, links)
    # Then 2 of each person's 6 pairs are found, none wrongly
    assert scores.true_pairs == 150_000
    assert scores.correct_pairs == scores.predicted_pairs == 50_000
    assert scores.pairwise.precision == 1.0
    assert scores.pairwise.recall == pytest.approx(1 / 3)
    assert scores.bcubed.recall == pytest.approx(0.5)
    assert scores.missed_links == 25_000


def _brute_force(truth: dict[str, str], links: dict[str, str | None]) -> tuple[float, float, float, float]:
    def cluster(tp: str) -> object:
        citizen = links.get(tp)
        return ("c", citizen) if citizen is not None else ("s", tp)

    ids = list(truth)
    same_true = {(a, b) for a, b in combinations(ids, 2) if truth[a] == truth[b]}
    same_pred = {(a, b) for a, b in combinations(ids, 2) if cluster(a) == cluster(b)}
    correct = len(same_true & same_pred)
    precision = correct / len(same_pred) if same_pred else 1.0
    recall = correct / len(same_true) if same_true else 1.0
    b3p = b3r = 0.0
    for tp in ids:
        mine = [o for o in ids if cluster(o) == cluster(tp)]
        theirs = [o for o in ids if truth[o] == truth[tp]]
        both = sum(1 for o in mine if truth[o] == truth[tp])
        b3p += both / len(mine)
        b3r += both / len(theirs)
    return precision, recall, b3p / len(ids), b3r / len(ids)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.one_of(st.none(), st.integers(0, 5))),
        min_size=1,
        max_size=25,
    )
)
def test_cluster_size_combinatorics_equal_pair_enumeration(labels: list[tuple[int, int | None]]) -> None:
    # Given a random small clustering (None = unlinked)
    truth = {f"t{i}": f"E{entity}" for i, (entity, _) in enumerate(labels)}
    links = {f"t{i}": (None if cluster is None else f"C{cluster}") for i, (_, cluster) in enumerate(labels)}
    # When scored both ways
    scores = score(truth, links)
    precision, recall, b3p, b3r = _brute_force(truth, links)
    # Then they agree
    assert scores.pairwise.precision == pytest.approx(precision)
    assert scores.pairwise.recall == pytest.approx(recall)
    expected_f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    assert scores.pairwise.f1 == pytest.approx(expected_f1)
    assert scores.bcubed.precision == pytest.approx(b3p)
    assert scores.bcubed.recall == pytest.approx(b3r)


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_cli_prints_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    truth = _write(tmp_path / "t.truth.jsonl", [{"touchpoint_id": tp, "entity_id": e} for tp, e in TRUTH.items()])
    links = _write(
        tmp_path / "links.jsonl",
        [{"touchpoint_id": tp, "citizen_id": c} for tp, c in {"t1": "C1", "t2": "C1", "t3": None}.items()],
    )
    assert main(["--truth", str(truth), "--links", str(links)]) == 0
    out = capsys.readouterr().out
    assert "pairwise" in out
    assert "b-cubed" in out
    assert "missed links" in out


def test_cli_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    truth = _write(tmp_path / "t.truth.jsonl", [{"touchpoint_id": "a", "entity_id": "E"}])
    links = _write(tmp_path / "links.jsonl", [{"touchpoint_id": "a", "citizen_id": "C", "resolution": "new"}])
    assert main(["--truth", str(truth), "--links", str(links), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["pairwise"]["precision"] == 1.0


def test_conflicting_duplicate_links_are_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "links.jsonl",
        [{"touchpoint_id": "a", "citizen_id": "C1"}, {"touchpoint_id": "a", "citizen_id": "C2"}],
    )
    with pytest.raises(ValueError, match="twice"):
        load_links(path)


def test_truth_lines_need_an_entity(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.truth.jsonl", [{"touchpoint_id": "a", "entity_id": None}])
    with pytest.raises(ValueError, match="entity_id"):
        load_truth(path)
