from django.apps import AppConfig


class PreviewsConfig(AppConfig):
    name = "previews"

    def ready(self) -> None:
        from previews import checks, receivers  # noqa: F401  (registers and connects them)
