"""What the notifications function decides before it sends anything. Pure: no I/O, no clock.

- `kind_for`: which notification, if any, a case event deserves.
- `choose_channel`: where to reach the citizen: the channel they prefer, else the last one they used that can
  carry a message, else any channel we can reach them on (equal service: a citizen who only calls or visits
  gets an SMS when we have their number).
- `is_opt_out` / `is_opt_in`: whether a reply asks us to stop (BAJA, STOP...) or to start again (ALTA, START...).
- `quiet_hours_delay`: when a message may go out, local time, never at night.
- `within_rate_limit`: whether one more message would be too many.
- `notification_id`: one id per triggering event, citizen and kind, so retries never send twice.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from shared.models.events import CaseClosed, CaseOpened, CaseStatusChanged, DomainEvent
from shared.models.procedure import CaseStatus
from shared.models.touchpoint import Channel

DEFAULT_TZ = "America/Mexico_City"
QUIET_START = time(22, 0)
QUIET_END = time(8, 0)

OPT_OUT_WORDS = frozenset({"baja", "stop", "alto", "cancelar", "unsubscribe"})
OPT_IN_WORDS = frozenset({"alta", "start", "suscribir"})


class NotificationChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"


class NotificationKind(StrEnum):
    CASE_STATUS_CHANGED = "case_status_changed"
    ACTION_REQUESTED = "action_requested"
    CASE_CLOSED = "case_closed"
    OPT_OUT_CONFIRMED = "opt_out_confirmed"


class Contact(BaseModel):
    """How a citizen can be reached. WhatsApp needs the citizen's opt-in (Meta's rule for business-initiated chats)."""

    model_config = ConfigDict(frozen=True)

    email: str | None = None
    phone: str | None = None
    whatsapp_opted_in: bool = False

    def can_carry(self, channel: NotificationChannel) -> bool:
        if channel is NotificationChannel.EMAIL:
            return bool(self.email and self.email.strip())
        has_phone = bool(self.phone and self.phone.strip())
        if channel is NotificationChannel.WHATSAPP:
            return has_phone and self.whatsapp_opted_in
        return has_phone


# -- which notification ---------------------------------------------------------------------------------------


def kind_for(event: DomainEvent) -> NotificationKind | None:
    """The notification a case event deserves, or None.

    A closure is announced twice on the bus (CaseStatusChanged to closed/abandoned, then CaseClosed): only
    CaseClosed notifies, so the citizen gets one message. A completed step never notifies by itself: when it
    moves the status, the CaseStatusChanged that comes with it does.
    """
    if isinstance(event, CaseOpened):
        return NotificationKind.CASE_STATUS_CHANGED  # "received"
    if isinstance(event, CaseClosed):
        return NotificationKind.CASE_CLOSED
    if isinstance(event, CaseStatusChanged):
        try:
            to_status = CaseStatus(event.to_status)
        except ValueError:
            return None
        if event.from_status == event.to_status or to_status in (CaseStatus.CLOSED, CaseStatus.ABANDONED):
            return None
        if to_status is CaseStatus.AWAITING_CITIZEN:
            return NotificationKind.ACTION_REQUESTED
        return NotificationKind.CASE_STATUS_CHANGED
    return None


def notification_id(trigger_event_id: str, citizen_id: str, kind: str) -> str:
    """Deterministic id: the same triggering event, citizen and kind always give the same notification."""
    digest = hashlib.sha256(f"{trigger_event_id}\x1f{citizen_id}\x1f{kind}".encode()).hexdigest()
    return f"ntf-{digest[:32]}"


# -- where ----------------------------------------------------------------------------------------------------

_FALLBACK_ORDER = (NotificationChannel.WHATSAPP, NotificationChannel.SMS, NotificationChannel.EMAIL)


def _carrier(channel: Channel, contact: Contact) -> NotificationChannel | None:
    """The channel we can write back on after a touchpoint in `channel`; None for channels that carry nothing."""
    if channel is Channel.MESSAGING:
        return NotificationChannel.WHATSAPP if contact.whatsapp_opted_in else NotificationChannel.SMS
    if channel is Channel.EMAIL:
        return NotificationChannel.EMAIL
    return None  # phone, office, web, mobile, chat, social: we cannot write to the citizen there


def choose_channel(
    preferred: NotificationChannel | None,
    recent_channels: Iterable[Channel],
    contact: Contact,
    opted_out: set[NotificationChannel] | frozenset[NotificationChannel],
) -> NotificationChannel | None:
    """Where to send: preferred, else the last used channel that carries messages, else whatever reaches them.

    `recent_channels` are the citizen's touchpoint channels, newest first. None when nothing reaches them.
    """

    def reachable(channel: NotificationChannel) -> bool:
        return channel not in opted_out and contact.can_carry(channel)

    if preferred is not None and reachable(preferred):
        return preferred
    for channel in recent_channels:
        carrier = _carrier(channel, contact)
        if carrier is not None and reachable(carrier):
            return carrier
    return next((channel for channel in _FALLBACK_ORDER if reachable(channel)), None)


# -- consent --------------------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    """Lower-case words without accents or punctuation: '¡Bája, por favor!' -> ['baja', 'por', 'favor']."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^\w]+", " ", plain).split()


def _first_word_in(text: str | None, words: frozenset[str]) -> bool:
    found = _words(text or "")
    return bool(found) and (" ".join(found) in words or found[0] in words)


def is_opt_out(text: str | None) -> bool:
    """The reply asks us to stop writing on this channel: BAJA, STOP, ALTO, CANCELAR or UNSUBSCRIBE, alone or first."""
    return _first_word_in(text, OPT_OUT_WORDS)


def is_opt_in(text: str | None) -> bool:
    """The reply asks us to write again on this channel: ALTA, START or SUSCRIBIR, alone or first."""
    return _first_word_in(text, OPT_IN_WORDS)


# -- when -----------------------------------------------------------------------------------------------------


def _in_window(clock: time, start: time, end: time) -> bool:
    if start == end:
        return False  # an empty window: no quiet hours
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end  # across midnight


def is_quiet(at: datetime, tz: str = DEFAULT_TZ, start: time = QUIET_START, end: time = QUIET_END) -> bool:
    """Whether `at` falls in the quiet hours, read on the local wall clock of `tz`."""
    _require_aware(at, "at")
    return _in_window(_clock(at, ZoneInfo(tz)), start.replace(tzinfo=None), end.replace(tzinfo=None))


def _first_instant_at(day: date, clock: time, zone: ZoneInfo, not_before: datetime) -> datetime:
    """The first instant (UTC) not before `not_before` whose local wall clock on `day` reads `clock` or just after.

    A repeated wall time (clocks going back) has two instants: the earlier one that is not before `not_before`.
    A skipped wall time (clocks going forward) has none: the transition itself is the first instant after it.
    """
    naive = datetime.combine(day, clock.replace(tzinfo=None))
    candidates = sorted({naive.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)})
    exists = [c for c in candidates if c.astimezone(zone).replace(tzinfo=None) == naive]
    if exists:
        return next((c for c in exists if c >= not_before), exists[-1])
    # Skipped: find the transition between the two readings (offsets change on whole seconds).
    low, high = candidates[0], candidates[-1]
    after_offset = high.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(zone).utcoffset() == after_offset:
            high = middle
        else:
            low = middle
    return high


def quiet_hours_delay(
    at: datetime, tz: str = DEFAULT_TZ, start: time = QUIET_START, end: time = QUIET_END
) -> datetime | None:
    """None when a message may go out at `at`; else the next moment it may, in UTC.

    Quiet hours are read on the local wall clock of `tz`, so they follow daylight saving time where there is one
    (Mexico City has had none since October 2022). `start` == `end` means no quiet hours. The answer is a UTC
    instant: what a scheduler takes, and safe to compare (a local wall time may be ambiguous when clocks go back).
    """
    _require_aware(at, "at")
    zone = ZoneInfo(tz)
    start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)  # wall-clock times
    moment = at.astimezone(UTC)
    if not _in_window(_clock(moment, zone), start, end):
        return None
    for _ in range(3):  # once, unless clocks jumping forward skip the whole allowed window that day
        local = moment.astimezone(zone)
        day = local.date()
        if start > end and local.time() >= start:  # evening: quiet until tomorrow morning
            day += timedelta(days=1)
        moment = _first_instant_at(day, end, zone, moment)
        if not _in_window(_clock(moment, zone), start, end):
            return moment
    raise ValueError(f"no moment outside quiet hours {start}-{end} in {tz} after {at.isoformat()}")  # pragma: no cover


def _clock(moment: datetime, zone: ZoneInfo) -> time:
    return moment.astimezone(zone).time().replace(tzinfo=None)


# -- how often ------------------------------------------------------------------------------------------------


def within_rate_limit(sent_at: Iterable[datetime], at: datetime, per_day: int = 3, per_hour: int = 1) -> bool:
    """Whether one more message at `at` stays within `per_hour` in the last hour and `per_day` in the last 24 h.

    Windows roll (the last 60 minutes, the last 24 hours), so they do not depend on a time zone. A send stamped
    after `at` (clock skew between functions) counts, to err on the side of fewer messages.
    """
    _require_aware(at, "at")
    sent = list(sent_at)
    for moment in sent:
        _require_aware(moment, "sent_at")
    last_hour = sum(1 for moment in sent if moment > at - timedelta(hours=1))
    last_day = sum(1 for moment in sent if moment > at - timedelta(days=1))
    return last_hour < per_hour and last_day < per_day


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment.isoformat()}")
