"""The channel providers' secrets (app secrets, auth tokens, verify tokens), from one Secrets Manager secret.

The secret (stack output `ChannelSecretsArn`, env `CHANNEL_SECRETS_ARN`) is a JSON object; the stack creates
it with every name empty, so nothing is accepted until an administrator pastes the provider's values.
Read through Powertools parameters (cached for five minutes); never logged.
"""

from __future__ import annotations

SECRET_NAMES = (
    "whatsapp_app_secret",
    "whatsapp_verify_token",
    "meta_app_secret",
    "meta_verify_token",
    "twilio_auth_token",
    "ses_basic_user",
    "ses_basic_password",
    "whatsapp_access_token",
    "whatsapp_phone_number_id",
)
MAX_AGE_SECONDS = 300


class SecretNotConfiguredError(Exception):
    """The provider's secret is empty or missing: no request from that provider can be trusted yet."""


def channel_secret(arn: str | None, name: str) -> str:
    """One provider secret by name (see SECRET_NAMES) from the secret `arn` (IngestSettings.channel_secrets_arn)."""
    from aws_lambda_powertools.utilities import parameters

    if name not in SECRET_NAMES:
        raise ValueError(f"unknown channel secret {name}")
    if not arn:
        raise SecretNotConfiguredError("this channel has no provider secrets (CHANNEL_SECRETS_ARN)")
    values = parameters.get_secret(arn, transform="json", max_age=MAX_AGE_SECONDS)
    value = values.get(name) if isinstance(values, dict) else None
    if not value:
        raise SecretNotConfiguredError(f"{name} is not configured")
    return str(value)
