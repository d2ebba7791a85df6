"""What can go wrong in the registry: no production version, a tampered or missing artifact."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from mlbilling.errors import DomainError

if TYPE_CHECKING:
    from predictions.models import ModelVersion


class RegistryError(Exception):
    """Base of the registry's domain errors."""


class NoProductionVersion(RegistryError, DomainError):
    code = "model_unavailable"
    status_code = 503

    def __init__(self, slug: str) -> None:
        super().__init__(_("Model '%(slug)s' has no production version yet.") % {"slug": slug})
        self.slug = slug

    def detail(self) -> str:
        return _("This model has no production version to serve yet.")


class ModelTraining(NoProductionVersion):
    """No production version yet, but one is training: the client should come back."""

    code = "model_training"

    def __init__(self, slug: str, *, seconds_left: int) -> None:
        RegistryError.__init__(
            self,
            _("Model '%(slug)s' is training: ready in about %(seconds)s s. Nothing was charged.")
            % {"slug": slug, "seconds": seconds_left},
        )
        self.slug = slug
        self.seconds_left = seconds_left

    def detail(self) -> str:
        return _("This model is training: ready in about %(seconds)s s. Nothing was charged.") % {
            "seconds": self.seconds_left
        }

    def extra(self) -> dict[str, str]:
        return {"retry_after": str(self.seconds_left)}

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.seconds_left)}


class NoPreviousVersion(RegistryError):
    def __init__(self, slug: str) -> None:
        super().__init__(f"Model {slug!r} has no earlier archived version to roll back to.")
        self.slug = slug


class ArtifactTampered(RegistryError):
    """The artifact's bytes differ from the sha256 recorded at registration."""

    def __init__(self, version: ModelVersion, actual: str) -> None:
        super().__init__(
            f"Artifact of {version.model.slug} v{version.version} does not match its recorded "
            f"sha256 (recorded {version.sha256[:12]}..., found {actual[:12]}...): refused."
        )


class ArtifactMissing(RegistryError):
    pass


class InvalidArtifact(RegistryError):
    """An uploaded artifact that cannot serve its case; the message is for the operator."""
