from django.apps import AppConfig


class PreviewsConfig(AppConfig):
    name = "previews"

    def ready(self) -> None:
        from previews import receivers  # noqa: F401  (connects them)
