"""The textbook Channels chat, run beside Parley by `make bench` as the baseline it is measured against."""
