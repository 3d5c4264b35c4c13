"""Signals accounts sends to the apps above it, which it must not import (docs/architecture.md, "Layers"):
each app exports and erases its own data about a user, and hears of a changed profile."""

from django.dispatch import Signal

# Sent while a data export is built, with `user` and `archive` (accounts.services.privacy.ExportArchive):
# each receiver adds its part (messaging: messages; files: the files) and then calls `archive.section_done()`.
user_data_export = Signal()

# Sent inside the erasure's transaction, with `user` (not anonymised yet): each receiver removes or
# anonymises what its app keeps about them, deleting stored objects only once the transaction commits.
user_erasing = Signal()

# Sent once a user's profile (their display name) changed, with `user`: messaging tells the people who share a
# conversation with them.
user_profile_changed = Signal()
