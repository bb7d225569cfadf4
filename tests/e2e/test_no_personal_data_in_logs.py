"""No personal data in logs: after the bundled sample (and whatever the session ran before), every function's log
and the runtime's own are scanned for the sample's phone numbers, emails, CURPs, names and message texts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import Running

pytestmark = pytest.mark.e2e

SAMPLE = ROOT / "samples" / "seed.jsonl"
CURP = re.compile(r"^[A-Z]{4}\d{6}[HM][A-Z]{5}[A-Z0-9]\d$")
TEXT_FIELDS = {"text", "summary", "notes", "body_text", "message", "subject", "transcript"}


def _walk(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for name, inner in value.items():
            yield from _walk(inner, name)
    elif isinstance(value, list):
        for inner in value:
            yield from _walk(inner, key)
    elif isinstance(value, str):
        yield key, value


def personal_data() -> dict[str, set[str]]:
    """What the sample says about people, as the strings that must never reach a log."""
    found: dict[str, set[str]] = {"phone": set(), "email": set(), "national_id": set(), "text": set(), "name": set()}
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        for key, value in _walk(json.loads(line)):
            digits = re.sub(r"\D", "", value)
            if "@" in value and "." in value.split("@")[-1] and " " not in value.strip():
                found["email"].add(value.strip().lower())
            elif CURP.match(value.strip()):
                found["national_id"].add(value.strip())
            elif key in {"caller_number", "from_number", "phone", "phone_number"} and len(digits) >= 10:
                found["phone"].add(digits[-10:])  # the national number, however it was written
            elif key in TEXT_FIELDS and len(value) >= 24:
                found["text"].add(value[:24])
            elif key in {"family_name"} and len(value) >= 6:
                found["name"].add(value)
    return found


def test_no_phone_email_curp_name_or_message_text_appears_in_any_log(ventanilla: Running) -> None:
    logs = sorted(Path(ventanilla.state_dir, "logs").glob("*.log"))
    assert len(logs) >= 10  # one per function
    corpus = {path.name: path.read_text(encoding="utf-8", errors="replace") for path in logs}
    # the runtime's own log records (its printed summary of the sample is for the developer, not a log)
    corpus["ventanilla up"] = "\n".join(line for line in ventanilla.output if re.match(r"^\d{4}-\d{2}-\d{2} ", line))
    scanned = sum(len(text) for text in corpus.values())
    values = personal_data()
    leaks = []
    for name, text in corpus.items():
        digits_only = re.sub(r"\D", "", text)
        lowered = text.lower()
        for kind, needles in values.items():
            for needle in needles:
                hit = needle in digits_only if kind == "phone" else needle.lower() in lowered
                if hit:
                    leaks.append(f"{kind} {needle[:6]}… in {name}")
    print(
        f"scanned {len(corpus)} logs, {scanned:,} characters, for "
        + ", ".join(f"{len(v)} {k}s" for k, v in values.items())
        + f": {len(leaks)} found"
    )
    assert sum(len(v) for v in values.values()) >= 30  # the scan looks for something
    assert leaks == []
