"""The shared library under every app (docs/architecture.md, "Layers"): Redis clients (one server or a
cluster) and the cache on a cluster, per-loop objects, database helpers and the read-replica router, task
queue declarations, metrics, log context, REST throttles and errors. It has no models and imports no app."""
