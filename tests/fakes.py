"""In-memory fakes of the ports, for unit tests of services only (integration tests use the emulator)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.exceptions import ConflictError, DuplicateMismatchError, PublishError
from shared.identity.records import CitizenRecord
from shared.journeys.rules import JourneyState, Timer
from shared.models.case import Case, CaseChange, CaseHistoryEntry
from shared.models.citizen import LinkExplanation, MergeRecord, ReviewTask, TimelineEntry
from shared.models.events import DomainEvent
from shared.models.touchpoint import StoredTouchpoint, Touchpoint
from shared.repositories.identity import Holder, IndexEntry, TimelineItem, TimelinePage


@dataclass
class FakeTouchpointRepository:
    """Stores what `add` gets; `correlation_ids` and `imported` keep what the stream would carry to the announcer."""

    items: dict[str, StoredTouchpoint] = field(default_factory=dict)
    correlation_ids: dict[str, str | None] = field(default_factory=dict)
    imported: set[str] = field(default_factory=set)

    def add(
        self, touchpoint: Touchpoint, *, correlation_id: str | None = None, imported: bool = False
    ) -> tuple[StoredTouchpoint, bool]:
        existing = self.items.get(touchpoint.touchpoint_id)
        if existing is not None:
            if existing.fingerprint != touchpoint.fingerprint():
                raise DuplicateMismatchError(touchpoint.touchpoint_id)
            return existing, False
        stored, _ = self.new_item(touchpoint, correlation_id=correlation_id, imported=imported)
        self.keep(stored, correlation_id=correlation_id, imported=imported)
        return stored, True

    def new_item(
        self, touchpoint: Touchpoint, *, correlation_id: str | None = None, imported: bool = False
    ) -> tuple[StoredTouchpoint, dict[str, Any]]:
        stored = StoredTouchpoint(
            touchpoint=touchpoint, received_at=datetime.now(UTC), fingerprint=touchpoint.fingerprint()
        )
        return stored, {"stored": stored, "correlation_id": correlation_id, "imported": imported}

    def keep(self, stored: StoredTouchpoint, *, correlation_id: str | None = None, imported: bool = False) -> None:
        self.items[stored.touchpoint_id] = stored
        self.correlation_ids[stored.touchpoint_id] = correlation_id
        if imported:
            self.imported.add(stored.touchpoint_id)

    def get(self, touchpoint_id: str) -> StoredTouchpoint | None:
        return self.items.get(touchpoint_id)

    def link_citizen(self, touchpoint_id: str, citizen_id: str | None, resolution: str) -> None:
        stored = self.items[touchpoint_id]
        self.items[touchpoint_id] = stored.model_copy(
            update={"citizen_id": citizen_id or stored.citizen_id, "resolution": resolution}
        )


@dataclass
class FakeIdentityRepository:
    """In-memory IdentityRepository with the same conditional-write semantics as the DynamoDB adapter."""

    records: dict[str, CitizenRecord] = field(default_factory=dict)
    holders_by_digest: dict[str, dict[str, datetime]] = field(default_factory=dict)
    first_claims: dict[str, str] = field(default_factory=dict)
    blocks: dict[str, list[str]] = field(default_factory=dict)
    timelines: dict[str, dict[str, TimelineItem]] = field(default_factory=dict)
    merges: dict[str, MergeRecord] = field(default_factory=dict)
    reviews: dict[str, ReviewTask] = field(default_factory=dict)
    pairs: set[frozenset[str]] = field(default_factory=set)
    before_save: list[Callable[[], None]] = field(default_factory=list)  # inject a racing writer

    def holders(self, digests: Sequence[str]) -> dict[str, list[Holder]]:
        found = {}
        for d in digests:
            seen = dict(self.holders_by_digest.get(d, {}))
            if d in self.first_claims and self.first_claims[d] not in seen:
                seen[self.first_claims[d]] = datetime.now(UTC)
            found[d] = [Holder(c, t) for c, t in seen.items()]
        return found

    def block_members(self, digests: Sequence[str]) -> dict[str, list[str]]:
        return {d: list(self.blocks.get(d, []))[:25] for d in digests}

    def get(self, citizen_id: str) -> CitizenRecord | None:
        return self.records.get(citizen_id)

    def get_many(self, citizen_ids: Iterable[str]) -> dict[str, CitizenRecord]:
        return {c: self.records[c] for c in citizen_ids if c in self.records}

    def create(self, record: CitizenRecord, first_claims: Sequence[str]) -> None:
        if record.citizen_id in self.records or any(d in self.first_claims for d in first_claims):
            raise ConflictError("claimed")
        self.records[record.citizen_id] = record
        for d in first_claims:
            self.first_claims[d] = record.citizen_id

    def save(self, records: Sequence[CitizenRecord], extra: Sequence[MergeRecord] = ()) -> None:
        while self.before_save:
            self.before_save.pop(0)()
        for record in records:
            if self.records[record.citizen_id].version != record.version - 1:
                raise ConflictError("version changed")
        for record in records:
            self.records[record.citizen_id] = record
        for merge in extra:
            self.merges[merge.merge_id] = merge

    def index(self, citizen_id: str, entries: Sequence[IndexEntry], blocks: Sequence[str], seen: datetime) -> None:
        for entry in entries:
            self.holders_by_digest.setdefault(entry.digest, {})[citizen_id] = seen
        for block in blocks:
            members = self.blocks.setdefault(block, [])
            if citizen_id not in members:
                members.append(citizen_id)

    def add_to_timeline(self, citizen_id: str, touchpoint: Touchpoint, link: LinkExplanation) -> None:
        entry = TimelineEntry(
            touchpoint_id=touchpoint.touchpoint_id,
            channel=touchpoint.channel,
            occurred_at=touchpoint.occurred_at,
            text=touchpoint.text,
            case=touchpoint.case,
        )
        self.timelines.setdefault(citizen_id, {})[touchpoint.touchpoint_id] = TimelineItem(citizen_id, entry, link)

    def timeline(self, citizen_ids: Sequence[str], limit: int, cursor: str | None = None) -> TimelinePage:
        items = [i for c in citizen_ids for i in self.timelines.get(c, {}).values()]
        items.sort(key=lambda i: (i.entry.occurred_at, i.entry.touchpoint_id), reverse=True)
        start = int(cursor or 0)
        more = start + limit < len(items)
        return TimelinePage(items=items[start : start + limit], next_cursor=str(start + limit) if more else None)

    def merges_of(self, survivor: str) -> list[MergeRecord]:
        return [m for m in self.merges.values() if m.survivor == survivor]

    def get_merge(self, merge_id: str) -> MergeRecord | None:
        return self.merges.get(merge_id)

    def put_review(self, task: ReviewTask) -> None:
        self.reviews[task.review_id] = task

    def get_review(self, review_id: str) -> ReviewTask | None:
        return self.reviews.get(review_id)

    def open_reviews(self, limit: int, cursor: str | None = None) -> tuple[list[ReviewTask], str | None]:
        return [t for t in self.reviews.values() if t.status == "open"][:limit], None

    def decide_review(self, task: ReviewTask) -> None:
        if self.reviews[task.review_id].status != "open":
            raise ConflictError("decided")
        self.reviews[task.review_id] = task

    def mark_not_same(self, a: str, b: str) -> None:
        self.pairs.add(frozenset((a, b)))

    def not_same(self, a: str, b: str) -> bool:
        return frozenset((a, b)) in self.pairs


@dataclass
class FakePublisher:
    published: list[DomainEvent] = field(default_factory=list)
    failures_left: int = 0

    def publish(self, events: Sequence[DomainEvent]) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise PublishError("bus unavailable")
        self.published.extend(events)


@dataclass
class FakeCaseRepository:
    """In-memory CaseRepository with the DynamoDB adapter's version checks and touchpoint attachments."""

    touchpoints: FakeTouchpointRepository
    cases: dict[str, Case] = field(default_factory=dict)
    history_items: dict[str, list[CaseHistoryEntry]] = field(default_factory=dict)
    attachments: dict[str, dict[str, str]] = field(default_factory=dict)
    openers: dict[str, str] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)

    def next_reference(self, prefix: str, year: int) -> str:
        key = f"{prefix}#{year}"
        self.sequences[key] = self.sequences.get(key, 0) + 1
        return f"{prefix}-{year}-{self.sequences[key]:06d}"

    def get(self, reference: str) -> Case | None:
        return self.cases.get(reference)

    def opened_by(self, touchpoint_id: str) -> str | None:
        return self.openers.get(touchpoint_id)

    def create(
        self, change: CaseChange, opened_by: str | None = None, new_touchpoint: Mapping[str, Any] | None = None
    ) -> None:
        case = change.case
        if case.reference in self.cases or (opened_by and opened_by in self.openers):
            raise ConflictError("exists")
        if new_touchpoint is not None:  # stored with the case, in the same write (what new_item made)
            stored = new_touchpoint["stored"]
            if stored.touchpoint_id in self.touchpoints.items:
                raise ConflictError("touchpoint exists")
            self.touchpoints.keep(stored, correlation_id=new_touchpoint["correlation_id"])
        self.cases[case.reference] = case
        self.history_items[case.reference] = list(change.history)
        if opened_by:
            self.openers[opened_by] = case.reference
            self._attach(case.reference, opened_by, "opened")

    def save(
        self,
        change: CaseChange,
        attach: Sequence[tuple[str, str]] = (),
        detach: Sequence[str] = (),
        previous: Case | None = None,
    ) -> None:
        case = change.case
        if self.cases[case.reference].version != case.version - 1:
            raise ConflictError("version changed")
        self.cases[case.reference] = case
        self.history_items.setdefault(case.reference, []).extend(change.history)
        for touchpoint_id, rule in attach:
            self._attach(case.reference, touchpoint_id, rule)
        for touchpoint_id in detach:
            self.attachments.get(case.reference, {}).pop(touchpoint_id, None)
            stored = self.touchpoints.items[touchpoint_id]
            self.touchpoints.items[touchpoint_id] = stored.model_copy(update={"case_reference": None})

    def _attach(self, reference: str, touchpoint_id: str, rule: str) -> None:
        stored = self.touchpoints.items[touchpoint_id]  # KeyError like the adapter's attribute_exists condition
        self.touchpoints.items[touchpoint_id] = stored.model_copy(update={"case_reference": reference})
        self.attachments.setdefault(reference, {})[touchpoint_id] = rule

    def history(self, reference: str, limit: int) -> list[CaseHistoryEntry]:
        return self.history_items.get(reference, [])[-limit:]

    def attached(self, reference: str, limit: int) -> list[dict[str, str]]:
        return [{"touchpoint_id": t, "rule": r, "at": ""} for t, r in self.attachments.get(reference, {}).items()][
            :limit
        ]

    def of_citizen(self, citizen_id: str, limit: int, open_only: bool = False) -> list[Case]:
        found = [c for c in self.cases.values() if c.citizen_id == citizen_id and (c.is_open or not open_only)]
        return sorted(found, key=lambda c: (not c.is_open, c.opened_at))[:limit]

    def of_procedure(self, procedure: str, since: datetime | None, until: datetime | None, limit: int) -> list[Case]:
        found = [
            c
            for c in self.cases.values()
            if c.procedure == procedure
            and (since is None or c.opened_at >= since)
            and (until is None or c.opened_at <= until)
        ]
        return sorted(found, key=lambda c: c.opened_at, reverse=True)[:limit]


@dataclass
class FakeJourneyRepository:
    """In-memory journey states and timers, with the DynamoDB adapter's version check on states."""

    states: dict[str, JourneyState] = field(default_factory=dict)
    timers: dict[str, list[Timer]] = field(default_factory=dict)

    def get_state(self, reference: str) -> JourneyState | None:
        return self.states.get(reference)

    def save_state(self, state: JourneyState) -> None:
        current = self.states.get(state.reference)
        if (current.version if current else 0) != state.version - 1:
            raise ConflictError("journey changed")
        self.states[state.reference] = state

    def replace_timers(self, reference: str, timers: list[Timer]) -> None:
        self.timers[reference] = list(timers)
