from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self) -> None:
        # The send path queues the persistence task by name (messaging.delivery.persistence): register it in
        # every process, web workers included, not only where Celery autodiscovers tasks.
        from messaging import receivers, tasks  # noqa: F401  (receivers: connects them)
