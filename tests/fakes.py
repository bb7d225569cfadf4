"""In-memory fakes of the ports, for unit tests of services only (integration tests use the emulator)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from shared.exceptions import ConflictError, DuplicateMismatchError, PublishError
from shared.models.citizen import Citizen, Identifier, TimelineEntry
from shared.models.events import DomainEvent
from shared.models.touchpoint import StoredTouchpoint, Touchpoint
from shared.repositories.citizens import ProfileFacts, TimelinePage


@dataclass
class FakeTouchpointRepository:
    items: dict[str, StoredTouchpoint] = field(default_factory=dict)

    def add(self, touchpoint: Touchpoint) -> tuple[StoredTouchpoint, bool]:
        existing = self.items.get(touchpoint.touchpoint_id)
        if existing is not None:
            if existing.fingerprint != touchpoint.fingerprint():
                raise DuplicateMismatchError(touchpoint.touchpoint_id)
            return existing, False
        stored = StoredTouchpoint(
            touchpoint=touchpoint, received_at=datetime.now(UTC), fingerprint=touchpoint.fingerprint()
        )
        self.items[touchpoint.touchpoint_id] = stored
        return stored, True

    def get(self, touchpoint_id: str) -> StoredTouchpoint | None:
        return self.items.get(touchpoint_id)

    def link_citizen(self, touchpoint_id: str, citizen_id: str | None, resolution: str) -> None:
        stored = self.items[touchpoint_id]
        self.items[touchpoint_id] = stored.model_copy(
            update={"citizen_id": citizen_id or stored.citizen_id, "resolution": resolution}
        )


@dataclass
class FakeCitizenRepository:
    profiles: dict[str, Citizen] = field(default_factory=dict)
    claims: dict[Identifier, str] = field(default_factory=dict)
    timelines: dict[str, dict[str, TimelineEntry]] = field(default_factory=dict)
    steal_on_create: Identifier | None = None  # simulate a racing writer claiming this first

    def owners(self, identifiers: Sequence[Identifier]) -> dict[Identifier, str]:
        return {i: self.claims[i] for i in identifiers if i in self.claims}

    def create(self, identifiers: Sequence[Identifier], facts: ProfileFacts) -> Citizen:
        if self.steal_on_create is not None:
            rival = self._new(facts, [self.steal_on_create])
            self.steal_on_create = None
            raise ConflictError(f"{rival.citizen_id} claimed it first")
        if any(i in self.claims for i in identifiers):
            raise ConflictError("claimed")
        return self._new(facts, identifiers)

    def _new(self, facts: ProfileFacts, identifiers: Sequence[Identifier]) -> Citizen:
        now = datetime.now(UTC)
        citizen = Citizen(
            citizen_id=f"cit-{uuid.uuid4().hex}",
            created_at=now,
            updated_at=now,
            given_name=facts.given_name,
            family_name=facts.family_name,
            birth_date=facts.birth_date,
            identifiers=tuple(identifiers),
        )
        self.profiles[citizen.citizen_id] = citizen
        for identifier in identifiers:
            self.claims[identifier] = citizen.citizen_id
        return citizen

    def claim(self, citizen_id: str, identifier: Identifier) -> bool:
        if self.claims.get(identifier, citizen_id) != citizen_id:
            return False
        self.claims[identifier] = citizen_id
        citizen = self.profiles[citizen_id]
        if identifier not in citizen.identifiers:
            self.profiles[citizen_id] = citizen.model_copy(update={"identifiers": (*citizen.identifiers, identifier)})
        return True

    def complete_profile(self, citizen_id: str, facts: ProfileFacts) -> None:
        citizen = self.profiles[citizen_id]
        update = {
            name: value
            for name, value in vars(facts).items()
            if value is not None and getattr(citizen, name, None) is None
        }
        self.profiles[citizen_id] = citizen.model_copy(update=update)

    def get(self, citizen_id: str) -> Citizen | None:
        return self.profiles.get(citizen_id)

    def add_to_timeline(self, citizen_id: str, touchpoint: Touchpoint) -> None:
        self.timelines.setdefault(citizen_id, {})[touchpoint.touchpoint_id] = TimelineEntry(
            touchpoint_id=touchpoint.touchpoint_id,
            channel=touchpoint.channel,
            occurred_at=touchpoint.occurred_at,
            text=touchpoint.text,
            case=touchpoint.case,
        )

    def timeline(self, citizen_id: str, limit: int, cursor: str | None = None) -> TimelinePage:
        entries = sorted(self.timelines.get(citizen_id, {}).values(), key=lambda e: e.occurred_at, reverse=True)
        start = int(cursor or 0)
        page = entries[start : start + limit]
        more = start + limit < len(entries)
        return TimelinePage(entries=page, next_cursor=str(start + limit) if more else None)


@dataclass
class FakePublisher:
    published: list[DomainEvent] = field(default_factory=list)
    failures_left: int = 0

    def publish(self, events: Sequence[DomainEvent]) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise PublishError("bus unavailable")
        self.published.extend(events)
