"""Message search: the query language (`query`, pure) and its two indexes (`backends`: PostgreSQL full text,
SQLite FTS5), which answer the same query the same way (docs/search.md)."""
