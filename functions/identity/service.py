"""Link a recorded touchpoint to a citizen record by exact match on normalised identifiers.

This is the minimal linker: the strongest identifier that already belongs to someone decides;
identifiers nobody holds yet are added to that person; identifiers held by somebody else are
reported as conflicting and never move (merging people is the resolution engine's job). With no
match, a new citizen is created holding all the identifiers — atomically, so two touchpoints of a
new person racing each other end up on one record.
"""

from __future__ import annotations

from shared.events import EventPublisher
from shared.exceptions import ConflictError, NotFoundError
from shared.identity.normalise import identifiers_from_claims
from shared.models.citizen import Identifier
from shared.models.events import CitizenResolved
from shared.models.touchpoint import CitizenClaims
from shared.repositories.citizens import CitizenRepository, ProfileFacts
from shared.repositories.touchpoints import TouchpointRepository

MAX_ATTEMPTS = 4


def facts_from(claims: CitizenClaims) -> ProfileFacts:
    return ProfileFacts(
        given_name=claims.given_name,
        family_name=claims.family_name,
        birth_date=claims.birth_date,
        address=claims.address,
    )


def choose_owner(identifiers: list[Identifier], owners: dict[Identifier, str]) -> str | None:
    """The citizen holding the strongest identifier (identifiers come strongest first)."""
    for identifier in identifiers:
        if identifier in owners:
            return owners[identifier]
    return None


def resolve_touchpoint(
    touchpoint_id: str,
    touchpoints: TouchpointRepository,
    citizens: CitizenRepository,
    publisher: EventPublisher,
    *,
    default_region: str,
    correlation_id: str | None = None,
) -> CitizenResolved | None:
    """Resolve one touchpoint; idempotent. None when it carries no usable identifier (anonymous)."""
    stored = touchpoints.get(touchpoint_id)
    if stored is None:
        raise NotFoundError(f"touchpoint {touchpoint_id} does not exist")
    touchpoint = stored.touchpoint
    identifiers = identifiers_from_claims(touchpoint.citizen, default_region)
    if not identifiers:
        if stored.resolution is None:
            touchpoints.link_citizen(touchpoint_id, None, "anonymous")
        return None

    for _ in range(MAX_ATTEMPTS):
        owners = citizens.owners(identifiers)
        citizen_id = stored.citizen_id or choose_owner(identifiers, owners)
        if citizen_id is None:
            try:
                citizen_id = citizens.create(identifiers, facts_from(touchpoint.citizen)).citizen_id
            except ConflictError:
                continue  # someone claimed one of these identifiers meanwhile: look again
            outcome, matched, conflicting = "created", [], []
        else:
            matched = [i.kind for i in identifiers if owners.get(i) == citizen_id]
            conflicting = [i.kind for i in identifiers if owners.get(i) not in (None, citizen_id)]
            for identifier in identifiers:
                if identifier not in owners and not citizens.claim(citizen_id, identifier):
                    conflicting.append(identifier.kind)
            citizens.complete_profile(citizen_id, facts_from(touchpoint.citizen))
            outcome = "matched"
        break
    else:
        raise ConflictError(f"could not settle the identity of touchpoint {touchpoint_id}")

    citizens.add_to_timeline(citizen_id, touchpoint)
    if stored.citizen_id != citizen_id:
        touchpoints.link_citizen(touchpoint_id, citizen_id, outcome)
    event = CitizenResolved(
        touchpoint_id=touchpoint_id,
        citizen_id=citizen_id,
        outcome=outcome,
        matched_on=matched,
        conflicting=conflicting,
        correlation_id=correlation_id,
    )
    publisher.publish([event])
    return event
