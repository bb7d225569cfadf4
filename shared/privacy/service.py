"""A citizen's privacy rights over everything Ventanilla holds on them.

- **Access**: `export` gathers the profile (the survivor and every record merged into it), identifiers, raw
  touchpoints, timeline, cases with their history, notifications, consent and preferences, merges,
  rectifications and the access log entries about them, as one JSON document.
- **Rectification**: `rectify` corrects the name, birth date or address, keeps who changed what from what and why,
  and lets identity matching use the corrected values.
- **Cancellation** (erasure): `erase` deletes the index entries that find the person, the timeline, consent and
  preferences; strips the raw touchpoints to channel and time (so a redelivery is still a duplicate), the
  notifications to their state, the cases' history to steps and statuses; and leaves a tombstone record and an
  audit entry. Re-running it finishes an erasure that stopped halfway.
- **Objection** is a preference (`PUT /v1/citizens/{id}/preferences` with `notifications: false`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from shared.auth import Caller
from shared.exceptions import GoneError, NotFoundError, ValidationFailedError
from shared.identity.features import Features, blocking_keys, features_from_claims, identifiers_of
from shared.identity.hashing import IdentifierHasher
from shared.identity.records import CitizenRecord
from shared.models.citizen import Identifier, LinkExplanation, MergeRecord, TimelineEntry
from shared.models.notification import Consent, Preferences
from shared.models.touchpoint import Address, CitizenClaims
from shared.repositories.audit import DynamoDBAuditRepository
from shared.repositories.cases import DynamoDBCaseRepository
from shared.repositories.identity import DynamoDBIdentityRepository
from shared.repositories.notifications import DynamoDBNotificationRepository
from shared.repositories.personal_data import DynamoDBPersonalDataRepository, FieldChange, Rectification
from shared.repositories.touchpoints import DynamoDBTouchpointRepository

EXPORT_FORMAT = "ventanilla.citizen-export/1"
RECTIFIABLE = ("given_name", "family_name", "birth_date", "address")
CASE_HISTORY_LIMIT = 1000


@dataclass(frozen=True)
class ErasureReport:
    citizen_id: str
    erased_at: datetime
    records: int
    index_entries_removed: int
    touchpoints_anonymised: int
    items_deleted: int
    notifications_erased: int
    case_notes_removed: int

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["erased_at"] = self.erased_at.isoformat()
        return data


@dataclass
class PrivacyService:
    identity: DynamoDBIdentityRepository
    touchpoints: DynamoDBTouchpointRepository
    cases: DynamoDBCaseRepository
    notifications: DynamoDBNotificationRepository
    audit: DynamoDBAuditRepository
    personal: DynamoDBPersonalDataRepository
    hasher: IdentifierHasher
    default_region: str = "MX"

    # -- the person ---------------------------------------------------------------------------------

    def person(self, citizen_id: str) -> tuple[CitizenRecord, list[CitizenRecord]]:
        """The survivor a (possibly merged) id belongs to and every record of that person, survivor first."""
        record = self.identity.get(citizen_id)
        if record is None:
            raise NotFoundError(f"citizen {citizen_id} not found")
        if record.merged_into:
            survivor = self.identity.get(record.merged_into)
            if survivor is None:
                raise NotFoundError(f"citizen {record.merged_into} not found")
            record = survivor
        if record.is_erased:
            raise GoneError(f"citizen {record.citizen_id} was erased on {record.erased_at:%Y-%m-%d}")
        members = self.identity.get_many(record.members)
        return record, [record, *(members[m] for m in record.members if m in members)]

    # -- access -------------------------------------------------------------------------------------

    def export(self, citizen_id: str, caller: Caller | None, route: str) -> dict[str, Any]:
        """Everything held on the person, as one JSON-ready document; the export itself is audited first."""
        root, records = self.person(citizen_id)
        ids = [r.citizen_id for r in records]
        self.audit.record(caller, root.citizen_id, "exported", route)
        partition = {cid: self.personal.citizen_items(cid) for cid in ids}
        timeline: list[dict[str, Any]] = []
        references: list[str] = []
        consent: list[dict[str, Any]] = []
        preferences: dict[str, Any] = {}
        merges: dict[str, dict[str, Any]] = {}
        for cid, items in partition.items():
            for item in items:
                sk = item["sk"]
                if sk.startswith("TL#"):
                    entry = TimelineEntry.model_validate_json(item["entry"])
                    link = LinkExplanation.model_validate_json(item["link"])
                    timeline.append({"citizen_id": cid, "entry": _json(entry), "link": _json(link)})
                elif sk.startswith("CASE#"):
                    references.append(sk.rsplit("#", 1)[1])
                elif sk.startswith("CONSENT#"):
                    consent.append({"citizen_id": cid, **_json(Consent.model_validate_json(item["consent"]))})
                elif sk == "PREFS":
                    preferences[cid] = _json(Preferences.model_validate_json(item["preferences"]))
                elif sk.startswith("MRG#"):
                    merge = MergeRecord.model_validate_json(item["merge"])
                    merges[merge.merge_id] = _json(merge)
        touchpoint_ids = [t["entry"]["touchpoint_id"] for t in timeline]
        stored = self.touchpoints.get_many(touchpoint_ids)
        cases = []
        for reference in dict.fromkeys(references):
            case = self.cases.get(reference)
            if case is not None:
                history = self.cases.history(reference, CASE_HISTORY_LIMIT)
                cases.append({"case": _json(case), "history": [_json(h) for h in history]})
        notifications = [_json(n) for cid in ids for n in self.notifications.of_citizen(cid)]
        audit = [_json(a) for cid in ids for a in self.audit.of_citizen(cid)]
        return {
            "format": EXPORT_FORMAT,
            "citizen_id": root.citizen_id,
            "requested_id": citizen_id,
            "exported_at": datetime.now(UTC).isoformat(),
            "profile": {
                "given_name": root.given_name,
                "family_name": root.family_name,
                "birth_date": root.birth_date.isoformat() if root.birth_date else None,
                "address": root.address.model_dump(mode="json", exclude_none=True) if root.address else None,
            },
            "identifiers": [{**_json(i), "held_by": r.citizen_id} for r in records for i in r.identifiers],
            "records": [_json(r) for r in records],
            "touchpoints": [_json(stored[t]) for t in dict.fromkeys(touchpoint_ids) if t in stored],
            "timeline": sorted(timeline, key=lambda t: str(t["entry"]["occurred_at"]), reverse=True),
            "cases": cases,
            "notifications": notifications,
            "consent": consent,
            "preferences": preferences,
            "merges": list(merges.values()),
            "rectifications": [_json(r) for r in self.personal.rectifications(ids)],
            "access_log": audit,
        }

    # -- rectification ------------------------------------------------------------------------------

    def rectify(
        self, citizen_id: str, corrections: dict[str, Any], reason: str, caller: Caller | None, route: str
    ) -> tuple[CitizenRecord, Rectification]:
        """Correct the person's name, birth date or address: the values shown and the values matched on."""
        unknown = set(corrections) - set(RECTIFIABLE)
        if unknown:
            raise ValidationFailedError(f"cannot rectify {', '.join(sorted(unknown))}: only {', '.join(RECTIFIABLE)}")
        root, _ = self.person(citizen_id)
        changes = [
            FieldChange(field=name, before=_plain(getattr(root, name)), after=_plain(value))
            for name, value in corrections.items()
            if _plain(getattr(root, name)) != _plain(value)
        ]
        if not changes:
            raise ValidationFailedError("nothing to rectify: the record already holds these values")
        corrected = {c.field: corrections[c.field] for c in changes}
        claims = CitizenClaims(
            given_name=corrected.get("given_name"),
            family_name=corrected.get("family_name"),
            birth_date=corrected.get("birth_date"),
            address=corrected.get("address"),
        )
        fresh = features_from_claims(claims, self.default_region)
        now = datetime.now(UTC)
        updated = root.model_copy(
            update={
                **corrected,
                "version": root.version + 1,
                "updated_at": now,
                "own": _replace_features(root.own, fresh, corrected),
                "features": _replace_features(root.features, fresh, corrected),
            }
        )
        self.identity.save([updated])
        if fresh.descriptive or "address" in corrected:
            blocks = (
                [self.hasher.block(k) for k in blocking_keys(updated.features)] if updated.features.descriptive else []
            )
            self.identity.index(updated.citizen_id, [], blocks, now)
        actor = caller.actor if caller else "unknown"
        rectification = self.personal.add_rectification(updated.citizen_id, actor, reason, changes)
        self.audit.record(caller, updated.citizen_id, "rectified", route, note=reason)
        return updated, rectification

    def rectifications(self, citizen_id: str) -> tuple[str, list[Rectification]]:
        """The person's current id and every correction made to any of their records, oldest first."""
        root, records = self.person(citizen_id)
        return root.citizen_id, self.personal.rectifications(r.citizen_id for r in records)

    # -- erasure ------------------------------------------------------------------------------------

    def erase(self, citizen_id: str, reason: str, caller: Caller | None, route: str) -> ErasureReport:
        root, records = self.person(citizen_id)
        ids = [r.citizen_id for r in records]
        partitions = {cid: self.personal.citizen_items(cid) for cid in ids}
        touchpoint_ids = [
            TimelineEntry.model_validate_json(item["entry"]).touchpoint_id
            for items in partitions.values()
            for item in items
            if item["sk"].startswith("TL#")
        ]
        stored = self.touchpoints.get_many(touchpoint_ids)
        # 1. What finds the person: every identifier and blocking key they were indexed under (from each raw
        #    touchpoint, as resolution indexed it, and from the records), deleted first, so a retry still has them.
        identifiers: set[str] = set()
        blocks: set[str] = set()
        for features in [features_from_claims(s.touchpoint.citizen, self.default_region) for s in stored.values()] + [
            f for r in records for f in (r.own, r.features)
        ]:
            identifiers |= {self.hasher.identifier(i) for i in identifiers_of(features)}
            if features.descriptive:
                blocks |= {self.hasher.block(k) for k in blocking_keys(features)}
        identifiers |= {
            self.hasher.identifier(Identifier(kind=i.kind, value=i.value)) for r in records for i in r.identifiers
        }
        unindexed = sum(self.personal.unindex(cid, identifiers, blocks) for cid in ids)
        # 2. Messages: nothing more is sent; what was sent keeps its state, not its values or the provider trail.
        erased_notifications = 0
        for cid in ids:
            for notification in self.notifications.of_citizen(cid):
                self.notifications.erase(notification)
                if notification.provider and notification.provider_message_id:
                    self.personal.delete_partition(
                        f"NOTIFMSG#{notification.provider}#{notification.provider_message_id}"
                    )
                erased_notifications += 1
        # 3. Cases stay (the agency's record of the procedure), without operators' free-text notes.
        references = {
            item["sk"].rsplit("#", 1)[1]
            for items in partitions.values()
            for item in items
            if item["sk"].startswith("CASE#")
        }
        notes = sum(self.cases.forget_notes(reference) for reference in sorted(references))
        # 4. Raw touchpoints: channel and time only.
        anonymised = sum(1 for touchpoint in stored.values() if self.touchpoints.anonymise(touchpoint))
        # 5. The partition's personal items, then the records themselves become tombstones.
        deleted = sum(self.personal.delete_citizen_items(cid) for cid in ids)
        now = datetime.now(UTC)
        self.identity.save([_tombstone(r, now) for r in records])
        self.audit.record(caller, root.citizen_id, "erased", route, note=reason, at=now)
        return ErasureReport(
            citizen_id=root.citizen_id,
            erased_at=now,
            records=len(records),
            index_entries_removed=unindexed,
            touchpoints_anonymised=anonymised,
            items_deleted=deleted,
            notifications_erased=erased_notifications,
            case_notes_removed=notes,
        )


def _tombstone(record: CitizenRecord, now: datetime) -> CitizenRecord:
    return CitizenRecord(
        citizen_id=record.citizen_id,
        version=record.version + 1,
        created_at=record.created_at,
        updated_at=now,
        merged_into=record.merged_into,
        members=record.members,
        erased_at=now,
    )


_FEATURE_FIELDS: dict[str, tuple[str, ...]] = {
    "given_name": ("given",),
    "family_name": ("family",),
    "birth_date": ("birth_dates",),
    "address": ("postal_codes", "localities", "streets"),
}


def _replace_features(current: Features, fresh: Features, corrected: dict[str, Any]) -> Features:
    """The corrected fields' values replace what the touchpoints said; the other fields stay."""
    update = {name: getattr(fresh, name) for field in corrected for name in _FEATURE_FIELDS[field]}
    return current.model_copy(update=update)


def _plain(value: Any) -> Any:
    if isinstance(value, Address):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _json(model: Any) -> dict[str, Any]:
    return dict(model.model_dump(mode="json", exclude_none=True))
