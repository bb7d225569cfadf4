"""A naive reference linker: touchpoints sharing any exact normalised identifier are one citizen.

Union-find over login_subject, national id, email, phone and social handle, transitively, ignoring names,
dates, addresses and time. It is what the harness scores an engine against as a floor, and it shows where
the datasets bite: shared landlines, family emails and recycled numbers merge different people; typos and
channels without a shared identifier split one person. Touchpoints without any identifier stay unlinked.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.identity.interchange import read_jsonl, write_jsonl
from shared.identity.normalise import normalise_email, normalise_handle, normalise_phone

_SEPARATORS = re.compile(r"[\s-]")


def identifier_keys(citizen: dict[str, Any]) -> list[str]:
    keys: list[str] = []
    if citizen.get("login_subject"):
        keys.append(f"login#{citizen['login_subject'].strip()}")
    if citizen.get("national_id"):  # as written, less spaces and dashes: FEBRL's 7-digit ids count too
        keys.append("national_id#" + _SEPARATORS.sub("", citizen["national_id"]).upper())
    email = normalise_email(citizen["email"]) if citizen.get("email") else None
    if email:
        keys.append(f"email#{email}")
    phone = normalise_phone(citizen["phone"], "MX") if citizen.get("phone") else None
    if phone:
        keys.append(f"phone#{phone}")
    social = citizen.get("social")
    if social:
        handle = normalise_handle(social["platform"], social["handle"])
        if handle:
            keys.append(f"social#{handle}")
    return keys


def link(lines: Iterable[dict[str, Any]]) -> dict[str, str | None]:
    """touchpoint_id -> citizen id (the cluster's first touchpoint), None when it carries no identifier."""
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        root = node
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    def union(a: str, b: str) -> None:
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            parent[root_b] = root_a

    linked: dict[str, str | None] = {}
    for line in lines:
        touchpoint_id = line["touchpoint_id"]
        keys = identifier_keys(line.get("citizen") or {})
        if not keys:
            linked[touchpoint_id] = None
            continue
        node = f"tp#{touchpoint_id}"
        parent.setdefault(node, node)
        linked[touchpoint_id] = node
        for key in keys:
            parent.setdefault(key, key)
            union(node, key)
    return {tp: (find(node).removeprefix("tp#") if node else None) for tp, node in linked.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.identity.baseline", description=__doc__.splitlines()[0])
    parser.add_argument("interchange", type=Path)
    parser.add_argument("--out", type=Path, required=True, help="links file to write")
    args = parser.parse_args(argv)
    links = link(read_jsonl(args.interchange))
    rows = ({"touchpoint_id": tp, "citizen_id": citizen} for tp, citizen in links.items())
    print(f"{write_jsonl(args.out, rows)} links -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
