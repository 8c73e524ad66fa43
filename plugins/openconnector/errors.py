"""The project's exception tree.

Every error says whether retrying can help, so the Airflow layer can choose between a task retry and
an immediate failure without knowing which component raised it.
"""

from __future__ import annotations

from typing import ClassVar


class OpenConnectorError(Exception):
    """Root of every error this package raises on purpose."""

    retryable: ClassVar[bool] = False


class SpecError(OpenConnectorError, ValueError):
    """A synchronization spec, mapping reference or register file is invalid.

    The message names the file, the field path, the bad value and what is accepted.
    """


class SourceError(OpenConnectorError):
    """The source answered in a way that cannot be synchronized (bad status, not JSON, no objects)."""


class SourceUnavailable(SourceError):
    """The source could not be reached or kept failing after the client's own retries."""

    retryable = True


class MappingError(OpenConnectorError):
    """A mapping failed for one object, or a mapping file does not compile.

    ``code`` is the JSONata error code (``T2002``, ``S0202`` ...) when the engine gave one.
    """

    def __init__(self, message: str, *, code: str | None = None, position: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.position = position


class StagingError(OpenConnectorError):
    """Staged objects of a run are missing or inconsistent, so the stage cannot go on safely."""


class TargetError(OpenConnectorError):
    """The target refused a write in a way that concerns the whole run (not one object)."""


class TargetUnavailable(TargetError):
    """The target could not be reached; a retry may succeed."""

    retryable = True
