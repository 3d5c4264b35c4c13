from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """What operators look at and do (docs/operations.md): health, metrics, the status page, queue tools."""

    name = "operations"
