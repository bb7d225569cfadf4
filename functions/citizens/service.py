"""Read side: a citizen with their cross-channel timeline, found by id or any identifier, and why."""

from __future__ import annotations

from functions.citizens.models import (
    CitizenResponse,
    IdentifierResponse,
    IdentityExplanationResponse,
    TouchpointLinkResponse,
)
from shared.exceptions import GoneError, NotFoundError, ValidationFailedError
from shared.identity.hashing import IdentifierHasher
from shared.identity.normalise import normalise_identifier
from shared.identity.records import CitizenRecord
from shared.models.citizen import IdentifierKind
from shared.repositories.identity import IdentityRepository

# The query parameter that carries each kind of identifier.
QUERY_PARAMETERS = {
    IdentifierKind.PHONE: "phone",
    IdentifierKind.EMAIL: "email",
    IdentifierKind.NATIONAL_ID: "national_id",
    IdentifierKind.SOCIAL: "handle",
    IdentifierKind.LOGIN_SUBJECT: "login_subject",
}
MAX_FOUND = 10


def current_record(citizen_id: str, identity: IdentityRepository) -> tuple[CitizenRecord, dict[str, CitizenRecord]]:
    """The survivor a (possibly merged) id resolves to, and the records merged into it."""
    record = identity.get(citizen_id)
    if record is None:
        raise NotFoundError(f"citizen {citizen_id} not found")
    if record.merged_into:
        survivor = identity.get(record.merged_into)
        if survivor is None:
            raise NotFoundError(f"citizen {record.merged_into} not found")
        record = survivor
    if record.is_erased:
        raise GoneError(f"citizen {record.citizen_id} was erased on {record.erased_at:%Y-%m-%d}")
    return record, identity.get_many(record.members)


def _identifiers(root: CitizenRecord, members: dict[str, CitizenRecord]) -> list[IdentifierResponse]:
    seen: dict[tuple[str, str], IdentifierResponse] = {}
    for owner in (root, *members.values()):
        for i in owner.identifiers:
            seen.setdefault(
                (i.kind.value, i.value),
                IdentifierResponse(
                    kind=i.kind,
                    value=i.value,
                    verified=i.verified,
                    since=i.since,
                    rule=i.rule,
                    touchpoint_id=i.touchpoint_id,
                    held_by=owner.citizen_id,
                ),
            )
    return list(seen.values())


def get_citizen(
    citizen_id: str, identity: IdentityRepository, *, limit: int, cursor: str | None = None
) -> CitizenResponse:
    root, members = current_record(citizen_id, identity)
    page = identity.timeline([root.citizen_id, *root.members], limit, cursor)
    return CitizenResponse(
        citizen_id=root.citizen_id,
        merged_ids=list(root.members),
        given_name=root.given_name,
        family_name=root.family_name,
        birth_date=root.birth_date,
        address=root.address,
        identifiers=_identifiers(root, members),
        created_at=root.created_at,
        updated_at=root.updated_at,
        timeline=[item.entry for item in page.items],
        next_cursor=page.next_cursor,
    )


def find_citizens(
    query: dict[IdentifierKind, str],
    identity: IdentityRepository,
    hasher: IdentifierHasher,
    *,
    default_region: str,
    limit: int,
) -> list[CitizenResponse]:
    """Every current citizen holding the one identifier given (a shared landline can have several)."""
    if len(query) != 1:
        raise ValidationFailedError(f"give exactly one of the query parameters {', '.join(QUERY_PARAMETERS.values())}")
    ((kind, raw),) = query.items()
    identifier = normalise_identifier(kind, raw, default_region)
    if identifier is None:
        hint = " (expected platform:handle)" if kind is IdentifierKind.SOCIAL else ""
        raise ValidationFailedError(f"{QUERY_PARAMETERS[kind]} is not a valid {QUERY_PARAMETERS[kind]}{hint}")
    digest = hasher.identifier(identifier)
    holders = identity.holders([digest]).get(digest, [])
    records = identity.get_many(h.citizen_id for h in holders)
    survivors = list(dict.fromkeys(r.merged_into or r.citizen_id for r in records.values()))[:MAX_FOUND]
    return [get_citizen(s, identity, limit=limit) for s in survivors]


def explain_identity(citizen_id: str, identity: IdentityRepository, *, limit: int) -> IdentityExplanationResponse:
    """Why each identifier and touchpoint belongs to this citizen, and which merges made it."""
    root, members = current_record(citizen_id, identity)
    page = identity.timeline([root.citizen_id, *root.members], limit)
    merges = identity.merges_of(root.citizen_id)
    for member in members.values():
        merges += [m for m in identity.merges_of(member.citizen_id) if m.status == "active"]
    return IdentityExplanationResponse(
        citizen_id=root.citizen_id,
        requested_id=citizen_id,
        merged_ids=list(root.members),
        identifiers=_identifiers(root, members),
        touchpoints=[
            TouchpointLinkResponse(
                touchpoint_id=item.entry.touchpoint_id,
                channel=item.entry.channel,
                occurred_at=item.entry.occurred_at,
                linked_to=item.citizen_id,
                rule=item.link.rule,
                score=item.link.score,
                evidence=item.link.evidence,
            )
            for item in page.items
        ],
        merges=sorted(merges, key=lambda m: m.at),
        next_cursor=page.next_cursor,
    )
