from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """What operators look at and do (docs/operations.md): health, metrics, the status page, queue tools."""

    name = "operations"

    def ready(self) -> None:
        from operations import checks  # noqa: F401  (registers them)
