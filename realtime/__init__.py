"""Socket plumbing below every domain app (docs/architecture.md, "Layers"): the hub and its wire format,
fan-out helpers, presence, per-socket ordering, the Redis watch, graceful shutdown, frame parsing, the
socket rate limit and every close code. Apps import it; it imports no app."""
