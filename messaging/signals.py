"""Signals messaging sends to the apps above it, which it must not import (docs/architecture.md, "Layers")."""

from django.dispatch import Signal

# Sent by the persistence task with `messages`: the payloads of the rows it has just stored (never a message
# stored before). Receivers defer their work to the transaction's commit (transaction.on_commit).
messages_stored = Signal()

# Sent by message_edit with `message_id` and its new `body`, inside the edit's transaction.
message_edited = Signal()
