"""Registry reads that do not need the model itself."""

from .models import ModelVersion


def model_version_active() -> ModelVersion | None:
    """The active version's row without its artifact, or None. Web requests and commands
    that only need to know which version serves use this instead of loading the model."""
    return ModelVersion.objects.defer("artifact").filter(status=ModelVersion.Status.ACTIVE).first()
