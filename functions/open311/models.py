"""Open311 GeoReport v2 shapes: the POST form once parsed, the GET query, the answers, and the client keys secret.

Field names are the standard's (http://wiki.open311.org/GeoReport_v2), so `functions/open311/wire.py` can render
any of these models as JSON or XML without renaming anything.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    field_serializer,
    field_validator,
    model_serializer,
    model_validator,
)

RequestStatus = Literal["open", "closed"]

Name = Annotated[str, StringConstraints(max_length=200)]
Identifier = Annotated[str, StringConstraints(max_length=200)]
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PHONE_PATTERN = r"^\+?[0-9 ()./-]{5,30}$"
URL_PATTERN = r"^https?://[^\s]+$"


def w3c_datetime(value: datetime) -> str:
    """The standard's date format: ISO 8601 with an offset, to the second (2026-03-02T15:04:05+00:00)."""
    return value.astimezone(UTC).isoformat(timespec="seconds")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# -- inputs ----------------------------------------------------------------------------------------------------


class ServiceRequestForm(_Model):
    """The fields of POST requests.{format}, blank ones already dropped; `api_key` is checked before this."""

    jurisdiction_id: Identifier | None = None
    service_code: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    lat: float | None = Field(default=None, ge=-90, le=90)
    long: float | None = Field(default=None, ge=-180, le=180)
    address_string: Annotated[str, StringConstraints(max_length=500)] | None = None
    address_id: Identifier | None = None
    email: Annotated[str, StringConstraints(max_length=200, pattern=EMAIL_PATTERN)] | None = None
    device_id: Identifier | None = None
    account_id: Identifier | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    phone: Annotated[str, StringConstraints(pattern=PHONE_PATTERN)] | None = None
    description: Annotated[str, StringConstraints(max_length=4000)] | None = None
    media_url: Annotated[str, StringConstraints(max_length=2000, pattern=URL_PATTERN)] | None = None
    attributes: dict[str, tuple[str, ...]] = Field(default_factory=dict, description="attribute[CODE] values")

    @field_validator("lat", "long")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @model_validator(mode="after")
    def _located(self) -> ServiceRequestForm:
        if (self.lat is None) != (self.long is None):
            raise ValueError("lat and long must be given together")
        if self.lat is None and not self.address_string and not self.address_id:
            raise ValueError("a location is required: lat and long, address_string or address_id")
        return self


class RequestQuery(_Model):
    """GET requests.{format}: by ids (which override every other argument) or by service, dates and status."""

    service_request_ids: tuple[str, ...] = ()
    service_code: str | None = None
    start_date: AwareDatetime
    end_date: AwareDatetime
    statuses: frozenset[RequestStatus] = frozenset({"open", "closed"})

    @model_validator(mode="after")
    def _ordered(self) -> RequestQuery:
        if self.start_date > self.end_date:
            raise ValueError("start_date must not be after end_date")
        return self


class ClientKey(_Model):
    model_config = ConfigDict(frozen=True, extra="ignore")

    client: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")]


class Open311Keys(_Model):
    """The Secrets Manager secret: `{"keys": [{"client": "<name>", "sha256": "<hex sha256 of the key>"}]}`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    keys: tuple[ClientKey, ...] = ()


# -- outputs ---------------------------------------------------------------------------------------------------


class ErrorOut(_Model):
    code: int
    description: str


class ServiceOut(_Model):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: Literal["realtime", "batch", "blackbox"] = "realtime"
    keywords: str
    group: str


class AttributeValueOut(_Model):
    key: str
    name: str


class AttributeOut(_Model):
    variable: bool = True
    code: str
    datatype: str
    required: bool
    datatype_description: str | None = None
    order: int
    description: str
    values: tuple[AttributeValueOut, ...] | None = None

    @model_serializer(mode="wrap")
    def _values_only_for_lists(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.values is None:
            data.pop("values", None)
        return data


class ServiceDefinitionOut(_Model):
    service_code: str
    attributes: tuple[AttributeOut, ...]


class RequestCreatedOut(_Model):
    service_request_id: str
    service_notice: str
    account_id: None = None


class ServiceRequestOut(_Model):
    """A request as the public listing shows it: status and dates only, nothing about the person or the place."""

    service_request_id: str
    status: RequestStatus
    status_notes: str
    service_name: str
    service_code: str
    agency_responsible: str
    requested_datetime: AwareDatetime
    updated_datetime: AwareDatetime

    @field_serializer("requested_datetime", "updated_datetime")
    def _w3c(self, value: datetime) -> str:
        return w3c_datetime(value)
