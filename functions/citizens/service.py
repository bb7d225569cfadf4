"""Read side: a citizen's profile with its cross-channel timeline, found by id or by any identifier."""

from __future__ import annotations

from functions.citizens.models import CitizenResponse, IdentifierResponse
from shared.exceptions import NotFoundError, ValidationFailedError
from shared.identity.normalise import normalise_identifier
from shared.models.citizen import IdentifierKind
from shared.repositories.citizens import CitizenRepository


def get_citizen(
    citizen_id: str, citizens: CitizenRepository, *, limit: int, cursor: str | None = None
) -> CitizenResponse:
    citizen = citizens.get(citizen_id)
    if citizen is None:
        raise NotFoundError(f"citizen {citizen_id} not found")
    page = citizens.timeline(citizen_id, limit, cursor)
    return CitizenResponse(
        citizen_id=citizen.citizen_id,
        given_name=citizen.given_name,
        family_name=citizen.family_name,
        birth_date=citizen.birth_date,
        address=citizen.address,
        identifiers=[IdentifierResponse(kind=i.kind, value=i.value) for i in citizen.identifiers],
        created_at=citizen.created_at,
        updated_at=citizen.updated_at,
        timeline=page.entries,
        next_cursor=page.next_cursor,
    )


# The query parameter that carries each kind of identifier.
QUERY_PARAMETERS = {
    IdentifierKind.PHONE: "phone",
    IdentifierKind.EMAIL: "email",
    IdentifierKind.NATIONAL_ID: "national_id",
    IdentifierKind.SOCIAL: "handle",
    IdentifierKind.LOGIN_SUBJECT: "login_subject",
}


def find_citizens(
    query: dict[IdentifierKind, str], citizens: CitizenRepository, *, default_region: str, limit: int
) -> list[CitizenResponse]:
    """Citizens holding the one identifier given; an identifier that cannot be normalised is a 400."""
    if len(query) != 1:
        raise ValidationFailedError(f"give exactly one of the query parameters {', '.join(QUERY_PARAMETERS.values())}")
    ((kind, raw),) = query.items()
    identifier = normalise_identifier(kind, raw, default_region)
    if identifier is None:
        hint = " (expected platform:handle)" if kind is IdentifierKind.SOCIAL else ""
        raise ValidationFailedError(f"{QUERY_PARAMETERS[kind]} is not a valid {QUERY_PARAMETERS[kind]}{hint}")
    owner = citizens.owners([identifier]).get(identifier)
    return [get_citizen(owner, citizens, limit=limit)] if owner else []
