"""The journey monitor: case events and contacts in, journey signals out (on the bus and on the timeline).

Plain Python over ports. Time comes from the events (a contact's time, the scheduled run's time), never from
the wall clock, so the local runtime's `ventanilla clock advance` moves every timer consistently.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from shared.cases.service import CaseService
from shared.catalogue import Catalogue
from shared.events import EventPublisher
from shared.exceptions import ConflictError, InvalidTransitionError
from shared.journeys import rules
from shared.journeys.measures import UNKNOWN, Fact
from shared.journeys.rules import JourneySettings, JourneyState, Timer
from shared.journeys.sentiment import SentimentScorer, from_contact_lens, is_negative
from shared.models.case import Case
from shared.models.citizen import LinkExplanation, TimelineEntry
from shared.models.events import (
    CaseAbandoned,
    CaseStalled,
    CaseTouchpointAttached,
    ChannelSwitched,
    JourneySignal,
    NegativeSentiment,
    RepeatContact,
    ResolvedFirstContact,
    SlaBreached,
)
from shared.models.procedure import CaseStatus
from shared.models.touchpoint import CaseRef, Touchpoint
from shared.repositories.cases import CaseRepository
from shared.repositories.journeys import DynamoDBJourneyRepository
from shared.repositories.touchpoints import TouchpointRepository

MAX_ATTEMPTS = 5
TIMERS_PER_PAGE = 100  # due timers read at once (one Query of the due-time index)
SECONDS_FOR_A_PAGE = 8.0  # another page only while the function has this long left; the rest wait for the next run
SYSTEM = "ventanilla"

TimelineWriter = Callable[[str, TimelineEntry, LinkExplanation], None]
MeasureWriter = Callable[[Fact], None]


def region_of(touchpoint: Touchpoint) -> str:
    """Where a contact comes from: the office's state code (`CDMX-CUAUH-01` -> CDMX), else the citizen's
    address region, else unknown."""
    office = touchpoint.details.get("office_id")
    if isinstance(office, str) and "-" in office:
        return office.split("-", 1)[0].upper()
    address = touchpoint.citizen.address
    if address and address.region:
        return address.region.strip().upper()
    return UNKNOWN


def describe(signal: JourneySignal) -> str:
    """The timeline line an operator reads (Spanish, the operators' language)."""
    if isinstance(signal, ChannelSwitched):
        why = " (el canal anterior no permitía el paso)" if signal.forced else ""
        return f"Cambio de canal: {signal.from_channel.value} → {signal.to_channel.value}{why}"
    if isinstance(signal, RepeatContact):
        return f"Contacto repetido sin avance ({signal.contacts_without_progress} seguidos) por {signal.channel.value}"
    if isinstance(signal, SlaBreached):
        return f"SLA vencido en el paso {signal.step or '-'} (vencía {signal.due_at:%Y-%m-%d %H:%M} UTC)"
    if isinstance(signal, CaseStalled):
        return f"Trámite detenido en el paso {signal.step or '-'}"
    if isinstance(signal, CaseAbandoned):
        return "Trámite abandonado por inactividad del ciudadano"
    if isinstance(signal, ResolvedFirstContact):
        return "Resuelto en el primer contacto"
    if isinstance(signal, NegativeSentiment):
        return f"Sentimiento negativo ({signal.source}, {signal.score:+.2f}) por {signal.channel.value}"
    return signal.detail_type()


@dataclass
class JourneyService:
    journeys: DynamoDBJourneyRepository
    cases: CaseRepository
    catalogue: Catalogue
    case_service: CaseService
    timeline: TimelineWriter
    publisher: EventPublisher
    touchpoints: TouchpointRepository | None = None
    scorer: SentimentScorer | None = None
    measures: MeasureWriter | None = None
    settings: JourneySettings = field(default_factory=JourneySettings)

    def on_contact(self, event: CaseTouchpointAttached) -> list[JourneySignal]:
        """A contact on the case: its signals and measures, once. A contact counted already (announced again by the
        tracker, whose first announcement may have failed) is skipped. What can fail is read before the state is
        written; a failure after it (publishing the signals) is not repeated by the retry: at most once, as timers."""
        stored = self.touchpoints.get(event.touchpoint_id) if self.touchpoints else None
        negative = self._negative_sentiment(event, stored.touchpoint if stored else None)
        seen = False

        def count(state: JourneyState | None) -> tuple[JourneyState, list[JourneySignal]]:
            nonlocal seen
            updated, signals = rules.on_contact(state, event, self.settings)
            seen = updated is state
            return updated, signals

        signals = self._update_state(event.reference, count)
        if seen:
            return []
        if negative is not None:
            signals.append(negative)
        self._announce(signals)
        kinds = [s.detail_type() for s in signals]
        self._measure(
            event.occurred_at,
            {
                "channel": event.channel.value,
                "procedure": event.procedure,
                "region": region_of(stored.touchpoint) if stored else UNKNOWN,
                "language": (stored.touchpoint.language if stored else None) or "es",
            },
            {
                "contacts": 1,
                "channel_switches": kinds.count("ChannelSwitched"),
                "repeat_contacts": kinds.count("RepeatContact"),
                "negative_sentiment": kinds.count("NegativeSentiment"),
            },
        )
        return signals

    def _measure(self, at: datetime, groups: dict[str, str], adds: dict[str, float]) -> None:
        if self.measures is not None:
            self.measures(Fact(day=at.date(), groups=groups, adds=adds))

    def _case_groups(self, case: Case) -> dict[str, str]:
        """A case is counted under the channel it was opened in: does who starts at an office fare worse?"""
        return {"channel": case.opened_channel.value, "procedure": case.procedure, "language": case.language}

    def _negative_sentiment(
        self, event: CaseTouchpointAttached, touchpoint: Touchpoint | None
    ) -> NegativeSentiment | None:
        """The channel's own analytics first (Contact Lens on calls), else the scorer on what the citizen wrote."""
        if touchpoint is None:
            return None
        label, value = touchpoint.details.get("customer_sentiment"), touchpoint.details.get("customer_sentiment_score")
        sentiment = from_contact_lens(
            str(label) if label else None, float(value) if isinstance(value, int | float) else None
        )
        if sentiment is None and self.scorer is not None and touchpoint.text:
            sentiment = self.scorer.score(touchpoint.text, touchpoint.language)
        if sentiment is None or not is_negative(sentiment):
            return None
        return NegativeSentiment(
            reference=event.reference,
            procedure=event.procedure,
            citizen_id=event.citizen_id,
            at=event.occurred_at,
            touchpoint_id=event.touchpoint_id,
            channel=event.channel,
            score=sentiment.score,
            source=sentiment.source,
            evidence={"label": sentiment.label, "score": round(sentiment.score, 3), "source": sentiment.source},
        )

    def on_case_moved(
        self, reference: str, at: datetime, *, progressed: bool, by_contact: bool = False, kind: str = "status"
    ) -> list[JourneySignal]:
        """A case opened, completed a step or changed status: its timers start over (or stop), progress now."""
        case = self.cases.get(reference)
        if case is None:
            return []
        procedure = self.catalogue.find(case.procedure)
        step = procedure.step(case.current_step or "") if procedure else None
        sla = timedelta(hours=step.sla_hours) if step else None
        self.journeys.replace_timers(reference, rules.timers_for(case, sla, at, self.settings))
        if not progressed:
            return []
        signals = self._update_state(reference, lambda state: rules.on_progress(state, case, at, by_contact=by_contact))
        self._announce(signals, case)
        return signals

    def run_timers(self, now: datetime, seconds_left: Callable[[], float] | None = None) -> list[JourneySignal]:
        """The scheduled run: act on every timer due at `now`, earliest first, a page at a time (read from the
        due-time index only), while `seconds_left()` leaves time for another page. One page only would leave every
        timer behind the first hundred due waiting, however many runs came."""
        signals: list[JourneySignal] = []
        while True:
            due = self.journeys.due_timers(now, TIMERS_PER_PAGE)
            taken = self._act_on(due, now, signals)
            if len(due) < TIMERS_PER_PAGE or not taken:
                return signals
            if seconds_left is not None and seconds_left() < SECONDS_FOR_A_PAGE:
                return signals

    def _act_on(self, due: Sequence[Timer], now: datetime, signals: list[JourneySignal]) -> int:
        """Take each due timer and signal what it means; how many were taken (the others were replaced or taken)."""
        taken = 0
        for timer in due:
            if not self.journeys.take(timer):
                continue  # replaced by a newer timer, or taken by another run
            taken += 1
            case = self.cases.get(timer.reference)
            if case is None or not case.is_open:
                continue
            signal = self._fired(timer, case, now)
            if isinstance(signal, CaseAbandoned):
                try:
                    self.case_service.set_status(
                        case.reference,
                        CaseStatus.ABANDONED,
                        channel=None,
                        actor=SYSTEM,
                        note=f"sin actividad del ciudadano en {self.settings.abandon_after.days} días",
                    )
                except InvalidTransitionError:
                    continue
            signals.append(signal)
            self._announce([signal], case)
            if isinstance(signal, SlaBreached):
                self._measure(now, self._case_groups(case), {"sla_breaches": 1})
        return taken

    def _fired(self, timer: Timer, case: Case, now: datetime) -> JourneySignal:
        common = {
            "reference": case.reference,
            "procedure": case.procedure,
            "citizen_id": case.citizen_id,
            "at": now,
            "evidence": {"due_at": timer.due_at.isoformat(), "status": case.status.value},
        }
        if timer.kind == "sla":
            return SlaBreached(**common, step=timer.step, due_at=timer.due_at)
        if timer.kind == "stall":
            return CaseStalled(**common, step=timer.step)
        return CaseAbandoned(**common)

    def _update_state(
        self, reference: str, change: Callable[[JourneyState | None], tuple[JourneyState, list[JourneySignal]]]
    ) -> list[JourneySignal]:
        for _ in range(MAX_ATTEMPTS):
            current = self.journeys.get_state(reference)
            updated, signals = change(current)
            if updated is current:  # nothing changed (a contact counted already): nothing to write
                return signals
            try:
                self.journeys.save_state(replace(updated, version=(current.version if current else 0) + 1))
            except ConflictError:
                continue
            return signals
        raise ConflictError(f"journey of {reference} keeps changing; try again")

    def _announce(self, signals: Sequence[JourneySignal], case: Case | None = None) -> None:
        if not signals:
            return
        self.publisher.publish(list(signals))
        for signal in signals:
            if not signal.citizen_id:
                continue
            case = case or self.cases.get(signal.reference)
            channel = getattr(signal, "to_channel", None) or getattr(signal, "channel", None)
            channel = channel or (case.opened_channel if case else None)
            if channel is None:
                continue
            digest = hashlib.sha256(f"{signal.detail_type()}|{signal.reference}|{signal.at.isoformat()}".encode())
            entry = TimelineEntry(
                touchpoint_id=f"sig-{digest.hexdigest()[:32]}",
                channel=channel,
                occurred_at=signal.at,
                text=describe(signal),
                case=CaseRef(procedure=signal.procedure, reference=signal.reference),
                details={"signal": signal.detail_type(), **{k: v for k, v in signal.evidence.items() if v is not None}},
            )
            self.timeline(signal.citizen_id, entry, LinkExplanation(rule="journey-signal", evidence={}))
