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
