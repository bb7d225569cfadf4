"""Why were links missed? For each true entity split over several predicted clusters, each touchpoint outside
the entity's largest cluster is scored against what that cluster knows, with the engine's own comparators, and
counted under the first reason that applies:

- `contact only`: no name or other descriptive field, only contact points (left unattributed or to review);
- `veto: …`: conflicting strong evidence (different given names, birth dates, valid national ids) — the
  rule that keeps twins, siblings and a parent and child apart;
- `uncorroborated`: the score links, but nothing personal agrees (names and address alone never link);
- `grey band`: between the review and link thresholds — a review task;
- `low score`: below the review threshold;
- `would link`: the pair links on its own, but the engine did not see the candidate (blocking, or the
  bounded candidate set) or linked it elsewhere first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from shared.identity.features import Features, features_from_claims
from shared.identity.matching import LINK_THRESHOLD, score
from shared.models.touchpoint import CitizenClaims


def _features(line: dict[str, Any]) -> Features:
    return features_from_claims(CitizenClaims.model_validate(line.get("citizen") or {}), "MX")


def missed_link_reasons(
    lines: Iterable[dict[str, Any]], truth: Mapping[str, str], links: Mapping[str, str | None]
) -> Counter[str]:
    features: dict[str, Features] = {}
    clusters: dict[str, dict[str, list[str]]] = {}
    for line in lines:
        touchpoint_id = line["touchpoint_id"]
        if touchpoint_id not in truth:
            continue
        features[touchpoint_id] = _features(line)
        cluster = links.get(touchpoint_id) or f"single:{touchpoint_id}"
        clusters.setdefault(truth[touchpoint_id], {}).setdefault(cluster, []).append(touchpoint_id)
    reasons: Counter[str] = Counter()
    for by_cluster in clusters.values():
        if len(by_cluster) < 2:
            continue
        main = max(by_cluster, key=lambda c: len(by_cluster[c]))
        known = Features()
        for touchpoint_id in by_cluster[main]:
            known = known.union(features[touchpoint_id])
        for cluster, members in by_cluster.items():
            if cluster == main:
                continue
            ours = features[members[0]]
            if not ours.descriptive:
                reasons["contact only"] += 1
                continue
            match = score(ours, known)
            if match.veto:
                reasons[f"veto: {match.veto}"] += 1
            elif match.links:
                reasons["would link"] += 1
            elif not match.corroborated and match.score >= LINK_THRESHOLD:
                reasons["uncorroborated"] += 1
            elif match.needs_review:
                reasons["grey band"] += 1
            else:
                reasons["low score"] += 1
    return reasons
