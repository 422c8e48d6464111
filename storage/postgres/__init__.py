"""The PostgreSQL engine: one memory shared by several devices (``database_url``
``postgresql://...``). psycopg 3 with a connection pool, its own versioned
migrations, full-text search in tsvector columns (CJK text in the index form of
:mod:`storage.cjk`, computed in Python on write), vectors with pgvector (HNSW)."""
