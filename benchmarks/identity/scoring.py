"""Score an engine's links against the ground truth: pairwise and B-cubed precision / recall / F1.

Inputs (JSON Lines):

- truth: `{"touchpoint_id": ..., "entity_id": ...}` per touchpoint of the dataset;
- links: `{"touchpoint_id": ..., "citizen_id": ... | null}` per touchpoint the engine resolved (other keys
  are ignored). A truth touchpoint missing from the links, or linked to null, is its own singleton
  cluster. Links for touchpoints that are not in the truth are counted (`unknown`) and ignored.

Metrics, over the truth touchpoints only (N of them), with n_ij the number of touchpoints of true entity i
in predicted cluster j, a_i = sum_j n_ij (entity sizes) and b_j = sum_i n_ij (cluster sizes):

- pairwise: a pair of touchpoints is predicted linked when they share a cluster and truly linked when
  they share an entity. correct = sum C(n_ij, 2), predicted = sum C(b_j, 2), true = sum C(a_i, 2);
  precision = correct / predicted, recall = correct / true. Computed from cluster sizes, never by
  enumerating pairs, so 100k touchpoints take well under a second. Conventions: with no predicted pair
  precision is 1.0 (nothing claimed, nothing wrong); with no true pair recall is 1.0 (nothing to find);
  F1 is 0.0 when precision + recall is 0.
- B-cubed: per touchpoint t, precision(t) = |cluster(t) ∩ entity(t)| / |cluster(t)| and recall(t) =
  |cluster(t) ∩ entity(t)| / |entity(t)|, averaged over touchpoints: P = sum n_ij^2 / b_j / N,
  R = sum n_ij^2 / a_i / N. All singletons give P = 1 and R = entities / N (not 0: each touchpoint
  still finds itself).
- wrong merges: predicted clusters holding touchpoints of more than one true entity;
  missed links: true entities whose touchpoints sit in more than one predicted cluster.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.identity.interchange import read_jsonl

Cluster = tuple[str, str]  # ("c", citizen_id) for a linked touchpoint, ("s", touchpoint_id) for a singleton


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float

    @classmethod
    def of(cls, precision: float, recall: float) -> PRF:
        total = precision + recall
        return cls(precision, recall, 2 * precision * recall / total if total else 0.0)


@dataclass(frozen=True)
class Scores:
    touchpoints: int  # in the truth
    true_entities: int
    predicted_clusters: int  # singletons included
    linked: int  # truth touchpoints with a non-null citizen_id
    unknown: int  # links for touchpoints absent from the truth (ignored)
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    pairwise: PRF
    bcubed: PRF
    wrong_merges: int
    missed_links: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def clusters(truth: Mapping[str, str], links: Mapping[str, str | None]) -> dict[str, Cluster]:
    """Each truth touchpoint's predicted cluster; unlinked touchpoints are singletons."""
    assigned: dict[str, Cluster] = {}
    for touchpoint_id in truth:
        citizen_id = links.get(touchpoint_id)
        assigned[touchpoint_id] = ("c", citizen_id) if citizen_id is not None else ("s", touchpoint_id)
    return assigned


def contingency(truth: Mapping[str, str], links: Mapping[str, str | None]) -> Counter[tuple[str, Cluster]]:
    """n_ij: how many touchpoints of true entity i sit in predicted cluster j."""
    assigned = clusters(truth, links)
    return Counter((entity_id, assigned[touchpoint_id]) for touchpoint_id, entity_id in truth.items())


def score(truth: Mapping[str, str], links: Mapping[str, str | None]) -> Scores:
    if not truth:
        raise ValueError("the truth is empty: nothing to score")
    table = contingency(truth, links)
    entity_sizes: Counter[str] = Counter()
    cluster_sizes: Counter[Cluster] = Counter()
    entities_per_cluster: Counter[Cluster] = Counter()
    clusters_per_entity: Counter[str] = Counter()
    for (entity_id, cluster), count in table.items():
        entity_sizes[entity_id] += count
        cluster_sizes[cluster] += count
        entities_per_cluster[cluster] += 1
        clusters_per_entity[entity_id] += 1

    correct = sum(_pairs(count) for count in table.values())
    predicted = sum(_pairs(size) for size in cluster_sizes.values())
    true = sum(_pairs(size) for size in entity_sizes.values())
    pairwise = PRF.of(correct / predicted if predicted else 1.0, correct / true if true else 1.0)

    total = len(truth)
    b3_precision = sum(count * count / cluster_sizes[cluster] for (_, cluster), count in table.items()) / total
    b3_recall = sum(count * count / entity_sizes[entity] for (entity, _), count in table.items()) / total

    return Scores(
        touchpoints=total,
        true_entities=len(entity_sizes),
        predicted_clusters=len(cluster_sizes),
        linked=sum(1 for touchpoint_id in truth if links.get(touchpoint_id) is not None),
        unknown=sum(1 for touchpoint_id in links if touchpoint_id not in truth),
        true_pairs=true,
        predicted_pairs=predicted,
        correct_pairs=correct,
        pairwise=pairwise,
        bcubed=PRF.of(b3_precision, b3_recall),
        wrong_merges=sum(1 for count in entities_per_cluster.values() if count > 1),
        missed_links=sum(1 for count in clusters_per_entity.values() if count > 1),
    )


def _load_mapping(path: Path, value_key: str, nullable: bool) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for row in read_jsonl(path):
        touchpoint_id = row.get("touchpoint_id")
        if not isinstance(touchpoint_id, str):
            raise ValueError(f"{path}: a line has no touchpoint_id: {row}")
        value = row.get(value_key)
        if value is None and not nullable:
            raise ValueError(f"{path}: {touchpoint_id} has no {value_key}")
        value = None if value is None else str(value)
        if touchpoint_id in mapping and mapping[touchpoint_id] != value:
            raise ValueError(f"{path}: {touchpoint_id} appears twice with different {value_key}s")
        mapping[touchpoint_id] = value
    return mapping


def load_truth(path: Path) -> dict[str, str]:
    return _load_mapping(path, "entity_id", nullable=False)


def load_links(path: Path) -> dict[str, str | None]:
    return _load_mapping(path, "citizen_id", nullable=True)


def format_table(scores: Scores) -> str:
    s = scores
    rows = [
        f"touchpoints {s.touchpoints}: linked {s.linked}, unlinked {s.touchpoints - s.linked}",
        f"links for unknown touchpoints (ignored) {s.unknown}",
        f"true entities {s.true_entities}, predicted clusters {s.predicted_clusters}",
        f"pairs: true {s.true_pairs}, predicted {s.predicted_pairs}, correct {s.correct_pairs}",
        "",
        f"{'metric':<10} {'precision':>9} {'recall':>9} {'f1':>9}",
    ]
    for name, prf in (("pairwise", s.pairwise), ("b-cubed", s.bcubed)):
        rows.append(f"{name:<10} {prf.precision:>9.4f} {prf.recall:>9.4f} {prf.f1:>9.4f}")
    rows += ["", f"wrong merges {s.wrong_merges} (clusters spanning >1 entity)"]
    rows.append(f"missed links {s.missed_links} (entities split over >1 cluster)")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.identity.scoring", description=__doc__.splitlines()[0])
    parser.add_argument("--truth", type=Path, required=True, help="<name>.truth.jsonl")
    parser.add_argument("--links", type=Path, required=True, help="the engine's links (touchpoint_id, citizen_id)")
    parser.add_argument("--json", action="store_true", help="print the scores as one JSON object")
    args = parser.parse_args(argv)
    scores = score(load_truth(args.truth), load_links(args.links))
    print(json.dumps(scores.as_dict(), indent=2) if args.json else format_table(scores))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
