"""Domain errors. Handlers map them to status codes once (see shared/api.py)."""


class VentanillaError(Exception):
    """Base class for errors the platform raises on purpose."""


class ValidationFailedError(VentanillaError):
    """The request is well-formed JSON but means something we cannot accept."""


class NotFoundError(VentanillaError):
    """The thing asked for does not exist."""


class GoneError(NotFoundError):
    """The thing existed and was erased on purpose (a citizen's erasure): 410, saying when."""


class ConflictError(VentanillaError):
    """A conditional write lost: the item exists or changed underneath us."""


class DuplicateMismatchError(ConflictError):
    """A channel message id was reused for different content."""


class ThrottledError(VentanillaError):
    """The store or the bus asked us to slow down; the caller should retry."""


class PublishError(VentanillaError):
    """Events could not be put on the bus (after the touchpoint was stored); the caller should retry."""


class InvalidTransitionError(VentanillaError):
    """A case cannot move that way now (the catalogue's steps, channels or documents do not allow it)."""
