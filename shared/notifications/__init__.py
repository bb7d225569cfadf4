"""Citizen notifications, the pure core: templates kept as data and the decisions made before sending.

The notifications function (functions/notifications, over service.py and senders.py) asks, for
each case event: which notification (`kind_for`), with which id (`notification_id`), on which channel
(`choose_channel`, honouring opt-outs read with `is_opt_out` / `is_opt_in`), when (`quiet_hours_delay`), whether
it is one too many (`within_rate_limit`), and with which words (`render`, over `case_values`).
"""

from shared.notifications.rules import (
    Contact,
    NotificationChannel,
    NotificationKind,
    choose_channel,
    is_opt_in,
    is_opt_out,
    is_quiet,
    kind_for,
    notification_id,
    quiet_hours_delay,
    within_rate_limit,
)
from shared.notifications.templates import (
    MessageTooLongError,
    RenderedMessage,
    RenderError,
    Template,
    TemplateError,
    Templates,
    case_values,
    format_date,
    get_templates,
    load_templates,
    render,
)

__all__ = [
    "Contact",
    "MessageTooLongError",
    "NotificationChannel",
    "NotificationKind",
    "RenderError",
    "RenderedMessage",
    "Template",
    "TemplateError",
    "Templates",
    "case_values",
    "choose_channel",
    "format_date",
    "get_templates",
    "is_opt_in",
    "is_opt_out",
    "is_quiet",
    "kind_for",
    "load_templates",
    "notification_id",
    "quiet_hours_delay",
    "render",
    "within_rate_limit",
]
