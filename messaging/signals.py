"""Signals messaging sends to the apps above it, which it must not import (docs/architecture.md, "Layers")."""

from django.dispatch import Signal

# Sent by the persistence task with `messages`: the payloads of the rows it has just stored (never a message
# stored before). Receivers defer their work to the transaction's commit (transaction.on_commit).
messages_stored = Signal()

# Sent by message_edit with `message_id` and its new `body`, inside the edit's transaction.
message_edited = Signal()

# Sent by message_soft_delete (its author's deletion, an admin's, a moderator's removal) with `message_id`,
# inside the deletion's transaction: whatever an app above keeps of the message's words goes with it.
message_deleted = Signal()

# Sent by message_files_release with `message_ids`: the deleted message and every other deleted one carrying
# any of its files (a forward's original), inside the deletion's transaction. A receiver answers the set of
# those whose files it keeps, which would otherwise be deleted (moderation, while a report of one is open:
# docs/moderation.md), and calls message_files_release again once done.
message_files_held = Signal()

# Sent by retention (messaging.services.retention) with `message_ids`: messages past their retention, inside
# the purge's transaction, which has locked them. A receiver answers the set of those it keeps whole, with
# their files (moderation, while a report of one is open); retention leaves them for a later run.
messages_held = Signal()
