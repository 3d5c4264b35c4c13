"""ASGI entry point of the baseline: every path is the chat socket."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.baseline.settings")
django.setup()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from bench.baseline.consumer import ChatConsumer  # noqa: E402

application = ProtocolTypeRouter({"websocket": ChatConsumer.as_asgi()})
