"""The shared library under every app (docs/architecture.md, "Layers"): Redis clients, per-loop objects,
database helpers, metrics, log context, REST throttles and errors. It has no models and imports no app."""
