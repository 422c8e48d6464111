"""The SQLite engine: one database file in the data directory (WAL, one writer
thread), FTS5 for keywords, in-memory and HNSW vector indexes."""
