"""The identity-resolution engine: one touchpoint at a time, online, explainable and reversible.

For each touchpoint it reads a bounded set of keys — the keyed identifier index and a few blocking
keys — scores the candidate citizens (Fellegi-Sunter, shared/identity/matching.py) and then:

- links directly on a verified identifier (SSO subject, valid CURP read at an office);
- links a contact-only touchpoint (just a phone, an email, a handle) to the one person holding it, or
  to the clearly most recent holder of a recycled number; several current holders -> a review task;
- links a descriptive touchpoint to the best candidate at or above the link threshold, merging any
  other candidate it bridges; in the grey band it creates a provisional citizen and a review task;
- otherwise creates a citizen.

Every link records its rule, score and evidence; every merge is a record that a split reverts exactly.
Concurrent resolutions are safe: citizen records carry versions (conditional writes) and a new citizen
takes a first claim on each identifier nobody held, so racing touchpoints end up on one record.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from shared.events import EventPublisher
from shared.exceptions import ConflictError, NotFoundError, ValidationFailedError
from shared.identity.features import Features, blocking_keys, features_from_claims, identifiers_of, is_verified
from shared.identity.hashing import IdentifierHasher
from shared.identity.matching import Match, score
from shared.identity.normalise import fold
from shared.identity.records import CitizenRecord
from shared.models.citizen import (
    Identifier,
    IdentifierKind,
    IdentifierRecord,
    LinkExplanation,
    MergeRecord,
    ReviewCandidate,
    ReviewTask,
)
from shared.models.events import CitizenResolved, CitizensMerged, CitizenSplit, DomainEvent, ReviewOpened
from shared.models.touchpoint import Channel, StoredTouchpoint, Touchpoint
from shared.repositories.identity import Holder, IdentityRepository, IndexEntry
from shared.repositories.touchpoints import TouchpointRepository

MAX_ATTEMPTS = 6
MAX_CANDIDATES = 12
RECYCLED_AFTER = timedelta(days=180)  # a holder this much newer than the previous one: the number changed hands
IDLE_BEFORE_REUSE = timedelta(days=365)  # a contact point unused this long may have been recycled
DONE = frozenset({"created", "linked", "review", "anonymous", "unattributed"})

Outcome = Literal["created", "linked", "review", "anonymous", "unattributed", "already"]


@dataclass
class Resolution:
    touchpoint_id: str
    outcome: Outcome
    citizen_id: str | None = None
    link: LinkExplanation | None = None
    merges: list[MergeRecord] = field(default_factory=list)
    review: ReviewTask | None = None


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


@dataclass
class IdentityEngine:
    touchpoints: TouchpointRepository
    identity: IdentityRepository
    hasher: IdentifierHasher
    publisher: EventPublisher
    default_region: str = "MX"

    # -- resolution ---------------------------------------------------------------------------------

    def resolve(
        self,
        touchpoint_id: str,
        correlation_id: str | None = None,
        *,
        stored: StoredTouchpoint | None = None,
    ) -> Resolution:
        """Resolve one touchpoint; idempotent. `stored` saves the read when the caller just wrote it."""
        stored = stored or self.touchpoints.get(touchpoint_id)
        if stored is None:
            raise NotFoundError(f"touchpoint {touchpoint_id} does not exist")
        if stored.resolution in DONE:
            # Resolved before, but its announcement may have failed after the writes (this is then the retry):
            # announce it again, so the case tracker hears of it at least once. Consumers are idempotent.
            events = self._announced_before(stored, correlation_id)
            if events:
                self.publisher.publish(events)
            return Resolution(touchpoint_id, "already", stored.citizen_id)
        features = features_from_claims(stored.touchpoint.citizen, self.default_region)
        if not identifiers_of(features) and not features.descriptive:
            self.touchpoints.link_citizen(touchpoint_id, None, "anonymous")
            return Resolution(touchpoint_id, "anonymous")
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                stored = self.touchpoints.get(touchpoint_id) or stored
            try:
                resolution = self._attempt(stored, features)
            except ConflictError:
                continue  # somebody changed a record we read: read again
            self._announce(resolution, correlation_id)
            return resolution
        raise ConflictError(f"could not settle the identity of touchpoint {touchpoint_id}")

    def _attempt(self, stored: StoredTouchpoint, features: Features) -> Resolution:
        touchpoint = stored.touchpoint
        identifiers = identifiers_of(features)
        digests = {self.hasher.identifier(i): i for i in identifiers}
        holders = self.identity.holders(list(digests))
        block_digests = [self.hasher.block(k) for k in blocking_keys(features)] if features.descriptive else []
        members = self.identity.block_members(block_digests)
        candidate_ids = [h.citizen_id for hs in holders.values() for h in hs] + [
            c for cs in members.values() for c in cs
        ]
        roots, root_ids = self._roots(candidate_ids)
        matches = {cid: score(features, root.features) for cid, root in roots.items()}

        def root_of(citizen_id: str) -> str | None:
            root = root_ids.get(citizen_id)
            return root if root in roots else None

        # 1. verified identifiers link directly
        verified_roots: list[str] = []
        for digest, identifier in digests.items():
            if is_verified(identifier, touchpoint.channel):
                for holder in holders.get(digest, []):
                    root = root_of(holder.citizen_id)
                    if root and root not in verified_roots and not _hard_veto(matches[root]):
                        verified_roots.append(root)
        if verified_roots:
            survivor, *others = sorted(verified_roots, key=lambda r: roots[r].created_at)
            rule = "verified:" + next(i.kind.value for d, i in digests.items() if is_verified(i, touchpoint.channel))
            link = LinkExplanation(rule=rule, score=matches[survivor].score, evidence=matches[survivor].evidence())
            bridged = others + self._bridgeable(survivor, [c for c, m in matches.items() if m.links], roots)
            return self._link(stored, features, digests, block_digests, roots[survivor], link, bridge=bridged)

        # 2. contact-only touchpoints: who holds this number / address / handle?
        if not features.descriptive:
            return self._resolve_contact_only(stored, features, digests, holders, root_of, roots, matches)

        # 3. descriptive touchpoints: probabilistic match
        ranked_matches = sorted(matches.items(), key=lambda item: item[1].score, reverse=True)
        linkable = [cid for cid, m in ranked_matches if m.links]
        if linkable:
            survivor = linkable[0]
            link = LinkExplanation(rule="match", score=matches[survivor].score, evidence=matches[survivor].evidence())
            bridged = self._bridgeable(survivor, linkable[1:], roots)
            return self._link(stored, features, digests, block_digests, roots[survivor], link, bridge=bridged)
        # A person names themselves on a number / address / handle that so far only reached us anonymously.
        contact_only = self._sole_contact_only_holder(holders, digests, root_of, roots, matches)
        if contact_only is not None:
            root_id, kind = contact_only
            link = LinkExplanation(
                rule=f"sole-holder:{kind}", score=matches[root_id].score, evidence=matches[root_id].evidence()
            )
            return self._link(stored, features, digests, block_digests, roots[root_id], link)
        grey = [(cid, m) for cid, m in ranked_matches if m.needs_review][:3]
        return self._create(stored, features, digests, block_digests, holders, grey)

    def _resolve_contact_only(
        self,
        stored: StoredTouchpoint,
        features: Features,
        digests: dict[str, Identifier],
        holders: dict[str, list[Holder]],
        root_of: Callable[[str], str | None],
        roots: dict[str, CitizenRecord],
        matches: dict[str, Match],
    ) -> Resolution:
        """A touchpoint that carries only contact points (a number, an address, a handle), no name.

        It goes to a person only when the contact point is personal to them: a number that writes on
        WhatsApp / SMS is a mobile, an email address that names its holder is theirs, a handle is one
        account. A household landline calling, or a family email writing, without a name could be anyone
        in the household: with known holders an operator decides (review); with none, the touchpoint stays
        unattributed — findable, never on the wrong citizen's timeline. A contact point idle for a year may
        have been recycled to a new subscriber, so its old holder is not assumed either.
        """
        touchpoint = stored.touchpoint
        identifiers = list(digests.values())
        last_seen: dict[str, datetime] = {}
        for hs in holders.values():
            for holder in hs:
                root = root_of(holder.citizen_id)
                if root:
                    last_seen[root] = max(holder.last_seen, last_seen.get(root, holder.last_seen))
        if not last_seen:
            if any(_personal_use(i, touchpoint.channel, features) for i in identifiers):
                return self._create(stored, features, digests, [], holders, [])
            return self._unattributed(stored)
        ranked = sorted(last_seen, key=lambda r: last_seen[r], reverse=True)
        attributable = [r for r in ranked if _attributable(identifiers, touchpoint.channel, roots[r])]
        if attributable and touchpoint.occurred_at - last_seen[attributable[0]] <= IDLE_BEFORE_REUSE:
            newest = attributable[0]
            others = [r for r in ranked if r != newest]
            kind = identifiers[0].kind.value
            if not others:
                link = LinkExplanation(
                    rule=f"sole-holder:{kind}", score=matches[newest].score, evidence=matches[newest].evidence()
                )
                return self._link(stored, features, digests, [], roots[newest], link)
            if all(last_seen[newest] - last_seen[other] > RECYCLED_AFTER for other in others):
                evidence = {
                    **matches[newest].evidence(),
                    "previous_holder_last_seen": max(last_seen[o] for o in others).isoformat(),
                }
                link = LinkExplanation(rule=f"recent-holder:{kind}", score=matches[newest].score, evidence=evidence)
                return self._link(stored, features, digests, [], roots[newest], link)
        return self._review_shared(stored, [(r, matches[r]) for r in ranked[:MAX_CANDIDATES]])

    def _sole_contact_only_holder(
        self,
        holders: dict[str, list[Holder]],
        digests: dict[str, Identifier],
        root_of: Callable[[str], str | None],
        roots: dict[str, CitizenRecord],
        matches: dict[str, Match],
    ) -> tuple[str, str] | None:
        """The one citizen holding a contact identifier of this touchpoint, when that citizen is known only
        by contact identifiers (nothing descriptive to compare) and nothing vetoes the link."""
        for digest, hs in holders.items():
            holder_roots = {root_of(h.citizen_id) for h in hs} - {None}
            if len(holder_roots) != 1:
                continue
            (root_id,) = holder_roots
            if root_id and not roots[root_id].features.descriptive and matches[root_id].veto is None:
                return root_id, digests[digest].kind.value
        return None

    def _bridgeable(self, survivor: str, others: Sequence[str], roots: dict[str, CitizenRecord]) -> list[str]:
        """Other citizens the touchpoint also links to, that may be merged into the survivor.

        Not when the two records conflict on strong evidence, nor when an operator said they differ.
        """
        return [
            other
            for other in dict.fromkeys(others)
            if other != survivor
            and score(roots[survivor].features, roots[other].features).veto is None
            and not self.identity.not_same(survivor, other)
        ]

    def _roots(self, citizen_ids: Sequence[str]) -> tuple[dict[str, CitizenRecord], dict[str, str]]:
        """Current survivors of the given records, and each record's survivor id.

        Bounded: the records seen most often across the looked-up keys first, at most MAX_CANDIDATES
        survivors, read in at most two BatchGetItem calls (absorbed records point straight at their survivor).
        """
        counts: dict[str, int] = {}
        for cid in citizen_ids:
            counts[cid] = counts.get(cid, 0) + 1
        chosen = sorted(counts, key=lambda c: -counts[c])[: MAX_CANDIDATES * 2]
        records = self.identity.get_many(chosen)
        missing = {r.merged_into for r in records.values() if r.merged_into and r.merged_into not in records}
        records.update(self.identity.get_many(m for m in missing if m))
        root_ids = {cid: r.merged_into or r.citizen_id for cid, r in records.items()}
        roots: dict[str, CitizenRecord] = {}
        for cid in chosen:
            root = records.get(root_ids.get(cid, ""))
            if root is not None and root.citizen_id not in roots and len(roots) < MAX_CANDIDATES:
                roots[root.citizen_id] = root
        return roots, root_ids

    # -- writes -------------------------------------------------------------------------------------

    def _identifier_records(
        self, record: CitizenRecord, digests: dict[str, Identifier], touchpoint: Touchpoint, rule: str, now: datetime
    ) -> tuple[IdentifierRecord, ...]:
        features = features_from_claims(touchpoint.citizen, self.default_region)
        personal = {(i.kind, i.value) for i in digests.values() if _personal_use(i, touchpoint.channel, features)}
        kept = tuple(
            held.model_copy(update={"personal": True})
            if not held.personal and (held.kind, held.value) in personal
            else held
            for held in record.identifiers
        )
        added = [
            IdentifierRecord(
                kind=i.kind,
                value=i.value,
                verified=is_verified(i, touchpoint.channel),
                personal=(i.kind, i.value) in personal,
                touchpoint_id=touchpoint.touchpoint_id,
                rule=rule,
                since=now,
            )
            for i in digests.values()
            if not record.holds(i)
        ]
        return (*kept, *added)

    def _finish(
        self,
        stored: StoredTouchpoint,
        citizen_id: str,
        digests: dict[str, Identifier],
        block_digests: Sequence[str],
        link: LinkExplanation,
        outcome: Outcome,
    ) -> None:
        touchpoint = stored.touchpoint
        entries = [IndexEntry(d, i.kind.value, is_verified(i, touchpoint.channel)) for d, i in digests.items()]
        self.identity.index(citizen_id, entries, block_digests, touchpoint.occurred_at)
        self.identity.add_to_timeline(citizen_id, touchpoint, link)
        self.touchpoints.link_citizen(touchpoint.touchpoint_id, citizen_id, outcome)

    def _link(
        self,
        stored: StoredTouchpoint,
        features: Features,
        digests: dict[str, Identifier],
        block_digests: Sequence[str],
        root: CitizenRecord,
        link: LinkExplanation,
        bridge: Sequence[str] = (),
    ) -> Resolution:
        now = datetime.now(UTC)
        updated = root.model_copy(
            update={
                "version": root.version + 1,
                "updated_at": now,
                "own": root.own.union(features),
                "features": root.features.union(features),
                "identifiers": self._identifier_records(root, digests, stored.touchpoint, link.rule, now),
                **_display_gaps(root, stored.touchpoint),
            }
        )
        self.identity.save([updated])
        merges = [
            self.merge(updated.citizen_id, other, rule=f"bridge:{link.rule}", touchpoint_id=stored.touchpoint_id)
            for other in bridge
        ]
        self._finish(stored, updated.citizen_id, digests, block_digests, link, "linked")
        return Resolution(stored.touchpoint_id, "linked", updated.citizen_id, link, merges=merges)

    def _create(
        self,
        stored: StoredTouchpoint,
        features: Features,
        digests: dict[str, Identifier],
        block_digests: Sequence[str],
        holders: dict[str, list[Holder]],
        grey: list[tuple[str, Match]],
    ) -> Resolution:
        now = datetime.now(UTC)
        rule = "new:possible-match" if grey else "new"
        best = grey[0][1] if grey else None
        link = LinkExplanation(rule=rule, score=best.score if best else None, evidence=best.evidence() if best else {})
        record = self._new_record(stored.touchpoint, features, digests, rule, now)
        unheld = [d for d in digests if not holders.get(d)]
        self.identity.create(record, unheld)
        review = None
        if grey:
            review = ReviewTask(
                review_id=new_id("rev"),
                kind="possible_match",
                touchpoint_id=stored.touchpoint_id,
                citizen_id=record.citizen_id,
                candidates=tuple(ReviewCandidate(citizen_id=c, score=m.score, evidence=m.evidence()) for c, m in grey),
                created_at=now,
            )
            self.identity.put_review(review)
        self._finish(stored, record.citizen_id, digests, block_digests, link, "created")
        return Resolution(stored.touchpoint_id, "created", record.citizen_id, link, review=review)

    def _new_record(
        self, touchpoint: Touchpoint, features: Features, digests: dict[str, Identifier], rule: str, now: datetime
    ) -> CitizenRecord:
        record = CitizenRecord(
            citizen_id=new_id("cit"),
            created_at=now,
            updated_at=now,
            own=features,
            features=features,
            **_display_gaps(None, touchpoint),
        )
        return record.model_copy(
            update={"identifiers": self._identifier_records(record, digests, touchpoint, rule, now)}
        )

    def citizen_from(self, touchpoint: Touchpoint) -> tuple[CitizenRecord, list[IndexEntry], list[str]]:
        """The citizen a touchpoint would start, with its index and blocking entries — without reading or
        writing anything (bulk loads of a known population, see `DynamoDBIdentityRepository.load`)."""
        features = features_from_claims(touchpoint.citizen, self.default_region)
        digests = {self.hasher.identifier(i): i for i in identifiers_of(features)}
        record = self._new_record(touchpoint, features, digests, "new", touchpoint.occurred_at)
        entries = [IndexEntry(d, i.kind.value, is_verified(i, touchpoint.channel)) for d, i in digests.items()]
        blocks = [self.hasher.block(k) for k in blocking_keys(features)] if features.descriptive else []
        return record, entries, blocks

    def _review_shared(self, stored: StoredTouchpoint, candidates: list[tuple[str, Match]]) -> Resolution:
        review = ReviewTask(
            review_id=new_id("rev"),
            kind="shared_identifier",
            touchpoint_id=stored.touchpoint_id,
            candidates=tuple(
                ReviewCandidate(citizen_id=c, score=m.score, evidence=m.evidence()) for c, m in candidates
            ),
            created_at=datetime.now(UTC),
        )
        self.identity.put_review(review)
        self.touchpoints.link_citizen(stored.touchpoint_id, None, "review")
        return Resolution(stored.touchpoint_id, "review", None, review=review)

    def _unattributed(self, stored: StoredTouchpoint) -> Resolution:
        self.touchpoints.link_citizen(stored.touchpoint_id, None, "unattributed")
        return Resolution(stored.touchpoint_id, "unattributed")

    # -- merges and splits --------------------------------------------------------------------------

    def merge(
        self,
        survivor_id: str,
        absorbed_id: str,
        *,
        rule: str,
        touchpoint_id: str | None = None,
        actor: str | None = None,
        reason: str | None = None,
    ) -> MergeRecord:
        """Fold one survivor into another; the absorbed record keeps its data and points at the survivor."""
        records = self.identity.get_many([survivor_id, absorbed_id])
        survivor, absorbed = records.get(survivor_id), records.get(absorbed_id)
        if survivor is None or absorbed is None:
            raise NotFoundError("both citizens must exist")
        if not survivor.is_survivor or not absorbed.is_survivor or survivor_id == absorbed_id:
            raise ValidationFailedError("only two distinct current citizens can be merged")
        if survivor.is_erased or absorbed.is_erased:
            raise ValidationFailedError("an erased citizen cannot be merged")
        match = score(survivor.features, absorbed.features)
        now = datetime.now(UTC)
        members = self.identity.get_many(absorbed.members)
        merge = MergeRecord(
            merge_id=new_id("mrg"),
            survivor=survivor_id,
            absorbed=absorbed_id,
            absorbed_members=absorbed.members,
            rule=rule,
            score=match.score,
            evidence=match.evidence(),
            touchpoint_id=touchpoint_id,
            actor=actor,
            reason=reason,
            at=now,
        )
        changed = [
            survivor.model_copy(
                update={
                    "version": survivor.version + 1,
                    "updated_at": now,
                    "members": (*survivor.members, absorbed_id, *absorbed.members),
                    "features": survivor.features.union(absorbed.features),
                }
            ),
            absorbed.model_copy(
                update={"version": absorbed.version + 1, "updated_at": now, "merged_into": survivor_id, "members": ()}
            ),
            *(
                m.model_copy(update={"version": m.version + 1, "updated_at": now, "merged_into": survivor_id})
                for m in members.values()
            ),
        ]
        self.identity.save(changed, extra=[merge])
        return merge

    def split(self, merge_id: str, *, reason: str, actor: str | None = None) -> tuple[MergeRecord, str, str]:
        """Undo a merge: the absorbed record (with what it had absorbed) becomes a citizen again."""
        merge = self.identity.get_merge(merge_id)
        if merge is None:
            raise NotFoundError(f"merge {merge_id} not found")
        if merge.status != "active":
            raise ConflictError(f"merge {merge_id} was already split")
        absorbed = self.identity.get(merge.absorbed)
        if absorbed is None or absorbed.merged_into is None:
            raise ConflictError(f"citizen {merge.absorbed} is no longer merged")
        root = self.identity.get(absorbed.merged_into)
        if root is None:
            raise NotFoundError(f"citizen {absorbed.merged_into} not found")
        moving = [m for m in merge.absorbed_members if m in root.members]
        detached = {absorbed.citizen_id, *moving}
        staying = [m for m in root.members if m not in detached]
        records = self.identity.get_many([*moving, *staying])
        now = datetime.now(UTC)

        def features_of(own: Features, ids: Sequence[str]) -> Features:
            combined = own
            for cid in ids:
                if cid in records:
                    combined = combined.union(records[cid].own)
            return combined

        changed = [
            root.model_copy(
                update={
                    "version": root.version + 1,
                    "updated_at": now,
                    "members": tuple(staying),
                    "features": features_of(root.own, staying),
                }
            ),
            absorbed.model_copy(
                update={
                    "version": absorbed.version + 1,
                    "updated_at": now,
                    "merged_into": None,
                    "members": tuple(moving),
                    "features": features_of(absorbed.own, moving),
                }
            ),
            *(
                records[m].model_copy(
                    update={"version": records[m].version + 1, "updated_at": now, "merged_into": absorbed.citizen_id}
                )
                for m in moving
                if m in records
            ),
        ]
        undone = merge.model_copy(
            update={"status": "split", "split_at": now, "split_reason": reason, "split_by": actor}
        )
        self.identity.save(changed, extra=[undone])
        self.identity.mark_not_same(root.citizen_id, absorbed.citizen_id)
        self.publisher.publish(
            [CitizenSplit(citizen_id=root.citizen_id, restored_citizen_id=absorbed.citizen_id, merge_id=merge_id)]
        )
        return undone, root.citizen_id, absorbed.citizen_id

    # -- review decisions ---------------------------------------------------------------------------

    def decide(
        self,
        review_id: str,
        *,
        accept: bool,
        actor: str,
        chosen_citizen_id: str | None = None,
        reason: str | None = None,
    ) -> ReviewTask:
        task = self.identity.get_review(review_id)
        if task is None:
            raise NotFoundError(f"review {review_id} not found")
        if task.status != "open":
            raise ConflictError(f"review {review_id} was already decided")
        candidate_ids = [c.citizen_id for c in task.candidates]
        if accept and task.kind == "shared_identifier" and chosen_citizen_id not in candidate_ids:
            raise ValidationFailedError("accepting a shared-identifier review needs citizen_id, one of the candidates")
        chosen = chosen_citizen_id or (candidate_ids[0] if accept else None)
        if chosen is not None and chosen not in candidate_ids:
            raise ValidationFailedError("citizen_id must be one of the review's candidates")
        decided = task.model_copy(
            update={
                "status": "accepted" if accept else "rejected",
                "decided_at": datetime.now(UTC),
                "decided_by": actor,
                "chosen_citizen_id": chosen if accept else None,
                "reason": reason,
            }
        )
        self.identity.decide_review(decided)
        events: list[DomainEvent] = []
        if task.kind == "possible_match" and task.citizen_id:
            provisional = self._current(task.citizen_id)
            if accept and chosen:
                target = self._current(chosen)
                if target != provisional:
                    merge = self.merge(
                        target, provisional, rule="review", touchpoint_id=task.touchpoint_id, actor=actor
                    )
                    events.append(_merged_event(merge))
            else:
                for candidate in candidate_ids:
                    self.identity.mark_not_same(provisional, self._current(candidate))
        elif task.kind == "shared_identifier":
            stored = self.touchpoints.get(task.touchpoint_id)
            if stored is not None:
                features = features_from_claims(stored.touchpoint.citizen, self.default_region)
                identifiers = {self.hasher.identifier(i): i for i in identifiers_of(features)}
                if accept and chosen:
                    root = self.identity.get(self._current(chosen))
                    if root is None:
                        raise NotFoundError(f"citizen {chosen} not found")
                    link = LinkExplanation(rule="review", evidence={"review_id": review_id, "decided_by": actor})
                    self._link(stored, features, identifiers, [], root, link)
                    events.append(
                        CitizenResolved(
                            touchpoint_id=stored.touchpoint_id,
                            citizen_id=root.citizen_id,
                            outcome="matched",
                            rule="review",
                        )
                    )
                else:
                    resolution = self._create(stored, features, identifiers, [], self.identity.holders([]), [])
                    events.append(
                        CitizenResolved(
                            touchpoint_id=stored.touchpoint_id,
                            citizen_id=resolution.citizen_id or "",
                            outcome="created",
                            rule="review",
                        )
                    )
        if events:
            self.publisher.publish(events)
        return decided

    def _current(self, citizen_id: str) -> str:
        record = self.identity.get(citizen_id)
        if record is None:
            raise NotFoundError(f"citizen {citizen_id} not found")
        return record.merged_into or record.citizen_id

    # -- events -------------------------------------------------------------------------------------

    def _announced_before(self, stored: StoredTouchpoint, correlation_id: str | None) -> list[DomainEvent]:
        """What resolving this touchpoint announced: CitizenResolved (for the citizen's current record) and the
        merges it made that still stand. One read (and a Query of the record's merges when it linked)."""
        if stored.citizen_id is None or stored.resolution not in ("created", "linked"):
            return []
        record = self.identity.get(stored.citizen_id)
        if record is None or record.is_erased:  # an erased person is announced to nobody again
            return []
        rule = next((i.rule for i in record.identifiers if i.touchpoint_id == stored.touchpoint_id), "redelivered")
        events: list[DomainEvent] = [
            CitizenResolved(
                touchpoint_id=stored.touchpoint_id,
                citizen_id=record.merged_into or record.citizen_id,
                outcome="created" if stored.resolution == "created" else "matched",
                rule=rule,
                correlation_id=correlation_id,
            )
        ]
        if stored.resolution == "linked":
            events += [
                _merged_event(merge, correlation_id)
                for merge in self.identity.merges_of(record.citizen_id)
                if merge.touchpoint_id == stored.touchpoint_id and merge.status == "active"
            ]
        return events

    def _announce(self, resolution: Resolution, correlation_id: str | None) -> None:
        events: list[DomainEvent] = []
        if resolution.citizen_id and resolution.link:
            events.append(
                CitizenResolved(
                    touchpoint_id=resolution.touchpoint_id,
                    citizen_id=resolution.citizen_id,
                    outcome="created" if resolution.outcome == "created" else "matched",
                    rule=resolution.link.rule,
                    score=resolution.link.score,
                    correlation_id=correlation_id,
                )
            )
        events += [_merged_event(m, correlation_id) for m in resolution.merges]
        if resolution.review:
            events.append(
                ReviewOpened(
                    review_id=resolution.review.review_id,
                    kind=resolution.review.kind,
                    touchpoint_id=resolution.touchpoint_id,
                    correlation_id=correlation_id,
                )
            )
        if events:
            self.publisher.publish(events)


def _merged_event(merge: MergeRecord, correlation_id: str | None = None) -> CitizensMerged:
    return CitizensMerged(
        survivor_id=merge.survivor,
        absorbed_id=merge.absorbed,
        merge_id=merge.merge_id,
        rule=merge.rule,
        score=merge.score,
        correlation_id=correlation_id,
    )


PERSONAL_KINDS = frozenset({IdentifierKind.LOGIN_SUBJECT, IdentifierKind.NATIONAL_ID, IdentifierKind.SOCIAL})
MOBILE_CHANNELS = frozenset({Channel.MESSAGING, Channel.MOBILE})


def _names_in_email(email: str, features: Features) -> bool:
    """`maria.lopez77@…` names María; `familia.diazramirez@…` names a household, not a person."""
    local = fold(email.split("@", 1)[0]).replace(" ", "")
    names = {token for given in features.given_tokens() for token in given if len(token) >= 3}
    return any(name.replace(" ", "") in local for name in names)


def _personal_use(identifier: Identifier, channel: Channel, features: Features) -> bool:
    """Does this presentation show the contact point belongs to one person rather than a household?

    Ids, sign-on subjects and social handles are personal. A number writing on WhatsApp / SMS or
    registered in the mobile app is a mobile (landlines cannot); a number on a voice call or typed into
    a form may be the household landline. An email address is personal when it names its holder.
    """
    if identifier.kind in PERSONAL_KINDS:
        return True
    if identifier.kind is IdentifierKind.PHONE:
        return channel in MOBILE_CHANNELS
    return _names_in_email(identifier.value, features)


def _attributable(identifiers: Sequence[Identifier], channel: Channel, holder: CitizenRecord) -> bool:
    """May a nameless touchpoint with these contact points be put on this holder's record?"""
    for identifier in identifiers:
        if not holder.holds(identifier):
            continue
        if _personal_use(identifier, channel, holder.features):
            return True
        if any(i.personal and i.kind == identifier.kind and i.value == identifier.value for i in holder.identifiers):
            return True
    return False


def _hard_veto(match: Match) -> bool:
    return match.veto in ("different valid national ids", "different single sign-on subjects")


def _display_gaps(record: CitizenRecord | None, touchpoint: Touchpoint) -> dict[str, object]:
    """Display fields the touchpoint can fill (never overwrites what a record already shows)."""
    claims = touchpoint.citizen
    values = {
        "given_name": claims.given_name,
        "family_name": claims.family_name,
        "birth_date": claims.birth_date,
        "address": claims.address,
    }
    return {k: v for k, v in values.items() if v is not None and (record is None or getattr(record, k) is None)}
