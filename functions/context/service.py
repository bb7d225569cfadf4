"""Who is this, and where are they? One keyed lookup path whatever the history size:

1. Query the identifier index partition of the (hashed) identifier — at most 11 items;
2. BatchGetItem the holders' records and, for merged ones, their survivors (at most 2 calls);
3. for one person: Query their cases (their partition, open first, at most CASES_SHOWN) and their timeline (a Query
   per record: the survivor and at most MEMBERS_READ records merged into it, each LIMIT TOUCHPOINTS_SHOWN).
"""

from __future__ import annotations

from functions.context.models import Candidate, Confidence, ContextResponse
from shared.cases.views import summarise
from shared.catalogue import Catalogue
from shared.exceptions import ValidationFailedError
from shared.identity.hashing import IdentifierHasher
from shared.identity.normalise import normalise_identifier
from shared.identity.records import CitizenRecord
from shared.models.citizen import Identifier, IdentifierKind
from shared.repositories.cases import CaseRepository
from shared.repositories.identity import IdentityRepository

CASES_SHOWN = 10
TOUCHPOINTS_SHOWN = 10
MEMBERS_READ = 10


def _confidence(identifier: Identifier, holders: list[CitizenRecord]) -> Confidence:
    held = [i for r in holders for i in r.identifiers if i.kind == identifier.kind and i.value == identifier.value]
    if any(i.verified for i in held) or identifier.kind is IdentifierKind.LOGIN_SUBJECT:
        return "verified"
    if identifier.kind in (IdentifierKind.NATIONAL_ID, IdentifierKind.SOCIAL) or any(i.personal for i in held):
        return "high"
    return "medium"


def get_context(
    kind: IdentifierKind,
    raw: str,
    *,
    identity: IdentityRepository,
    hasher: IdentifierHasher,
    cases: CaseRepository,
    catalogue: Catalogue,
    default_region: str,
    language: str | None = None,
) -> ContextResponse:
    identifier = normalise_identifier(kind, raw, default_region)
    if identifier is None:
        raise ValidationFailedError(f"{kind.value} is not a valid {kind.value.replace('_', ' ')}")
    digest = hasher.identifier(identifier)
    holders = identity.holders([digest]).get(digest, [])
    records = identity.get_many(h.citizen_id for h in holders)
    survivors = identity.get_many({r.merged_into for r in records.values() if r.merged_into} - set(records))
    records.update(survivors)
    roots: dict[str, CitizenRecord] = {}
    for holder in sorted(holders, key=lambda h: h.last_seen, reverse=True):
        record = records.get(holder.citizen_id)
        root = records.get(record.merged_into or "") if record and record.merged_into else record
        if root is not None and root.citizen_id not in roots:
            roots[root.citizen_id] = root
    if not roots:
        return ContextResponse(confidence="unknown")
    if len(roots) > 1:
        return ContextResponse(
            confidence="ambiguous",
            candidates=[
                Candidate(citizen_id=r.citizen_id, given_name=r.given_name, family_name=r.family_name)
                for r in roots.values()
            ],
        )
    (root,) = roots.values()
    summaries = []
    for case in cases.of_citizen(root.citizen_id, CASES_SHOWN):
        procedure = catalogue.find(case.procedure)
        if procedure is not None:
            summaries.append(summarise(case, procedure, language))
    page = identity.timeline([root.citizen_id, *root.members[-MEMBERS_READ:]], TOUCHPOINTS_SHOWN)
    return ContextResponse(
        confidence=_confidence(
            identifier, [r for r in records.values() if root.citizen_id in (r.citizen_id, r.merged_into)]
        ),
        citizen_id=root.citizen_id,
        given_name=root.given_name,
        family_name=root.family_name,
        open_cases=[s for s in summaries if s.status.value in ("received", "in_review", "awaiting_citizen")],
        recent_cases=[s for s in summaries if s.status.value not in ("received", "in_review", "awaiting_citizen")],
        last_touchpoints=[item.entry for item in page.items],
    )
