"""The send path: reserve a seq, make the message durable on the broker, then log, broadcast and ack."""
