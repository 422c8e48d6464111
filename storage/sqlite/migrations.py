"""Versioned schema migrations.

Each migration is a plain function run in its own transaction together with the
``PRAGMA user_version`` bump that records it, so a crash leaves the database at
the previous version, never half-way. Migrations are frozen once released: a
schema change is a new function appended to ``MIGRATIONS``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from storage.cjk import index_form
from storage.errors import CorruptDatabaseError
from storage.sqlite.fts import INDEX_FORM_SQL, register_index_form

Migration = Callable[[sqlite3.Connection], None]

_COMMON = """
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    search_text TEXT NOT NULL DEFAULT '',
    context TEXT NOT NULL DEFAULT '',
    embedding BLOB
"""

# table -> (extra columns, time column used for filters and the vector index)
_MEMORY_TABLES_V1: dict[str, tuple[str, str]] = {
    "core": (
        """label TEXT NOT NULL UNIQUE CHECK (label IN ('persona', 'human')),
           text TEXT NOT NULL DEFAULT '',
           char_limit INTEGER NOT NULL CHECK (char_limit > 0)""",
        "created_at",
    ),
    "episodic": (
        """occurred_at TEXT NOT NULL, actor TEXT, event_type TEXT,
           summary TEXT NOT NULL, details TEXT, tree_path TEXT NOT NULL DEFAULT '[]'""",
        "occurred_at",
    ),
    "semantic": (
        """name TEXT NOT NULL, summary TEXT NOT NULL, details TEXT, source TEXT,
           tree_path TEXT NOT NULL DEFAULT '[]'""",
        "created_at",
    ),
    "procedural": (
        """entry_type TEXT NOT NULL CHECK (entry_type IN ('workflow', 'guide', 'script')),
           summary TEXT NOT NULL, steps TEXT NOT NULL DEFAULT '[]',
           tree_path TEXT NOT NULL DEFAULT '[]'""",
        "created_at",
    ),
    "resource": (
        """title TEXT NOT NULL, summary TEXT, resource_type TEXT, content TEXT,
           tree_path TEXT NOT NULL DEFAULT '[]'""",
        "created_at",
    ),
    "knowledge_vault": (
        """entry_type TEXT NOT NULL, source TEXT,
           sensitivity TEXT NOT NULL CHECK (sensitivity IN ('low', 'medium', 'high')),
           secret_value TEXT, caption TEXT NOT NULL""",
        "created_at",
    ),
}

_SOURCE_TABLES_V1: dict[str, tuple[str, str]] = {
    "messages": (
        """external_id TEXT UNIQUE,
           role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'other')),
           speaker TEXT, text TEXT NOT NULL, at TEXT NOT NULL, session TEXT""",
        "at",
    ),
    "screenshots": (
        """external_id TEXT UNIQUE, at TEXT NOT NULL, monitor INTEGER,
           app TEXT, window_title TEXT, image_path TEXT, thumb_path TEXT,
           phash TEXT, width INTEGER, height INTEGER, ocr_text TEXT NOT NULL DEFAULT '',
           image_embedding BLOB""",
        "at",
    ),
}


def _indexed_table(conn: sqlite3.Connection, table: str, columns: str, time_col: str) -> None:
    """A table with the common columns, an external-content FTS5 index over
    ``search_text`` (the row's own text) and ``context`` (text around it, ranked
    lower), and a change log for the in-memory vector index, both kept in
    step by triggers so no code path can forget them."""
    conn.execute(f"CREATE TABLE {table} ({_COMMON}, {columns})")
    conn.execute(f"CREATE INDEX {table}_time ON {table}({time_col})")
    conn.execute(
        f"""CREATE VIRTUAL TABLE {table}_fts USING fts5(
            search_text, context, content='{table}', content_rowid='rowid',
            tokenize='porter unicode61 remove_diacritics 2')"""
    )
    _index_triggers(conn, table, time_col, form="{}")


def _index_triggers(conn: sqlite3.Connection, table: str, time_col: str, *, form: str) -> None:
    """The triggers that keep ``{table}_fts`` and the vector change log in step;
    ``form`` wraps each indexed column (``"{}"``: the text as stored)."""
    text = ", ".join(form.format(f"new.{c}") for c in ("search_text", "context"))
    old_text = ", ".join(form.format(f"old.{c}") for c in ("search_text", "context"))
    fts_add = (
        f"INSERT INTO {table}_fts(rowid, search_text, context) "
        f"SELECT new.rowid, {text} WHERE new.deleted_at IS NULL;"
    )
    fts_del = (
        f"INSERT INTO {table}_fts({table}_fts, rowid, search_text, context) "
        f"SELECT 'delete', old.rowid, {old_text} WHERE old.deleted_at IS NULL;"
    )
    log = f"INSERT INTO vec_log(kind, row) VALUES ('{table}', {{}}.rowid);"
    # One trigger per event, statements in order: the old entry must leave the
    # index before the new one enters (separate triggers fire in reverse order).
    triggers = [
        f"CREATE TRIGGER {table}_ai AFTER INSERT ON {table} BEGIN {fts_add} "
        f"{log.format('new')} END",
        f"CREATE TRIGGER {table}_ad AFTER DELETE ON {table} BEGIN {fts_del} "
        f"{log.format('old')} END",
        f"""CREATE TRIGGER {table}_au_fts AFTER UPDATE OF search_text, context, deleted_at
            ON {table} BEGIN {fts_del} {fts_add} END""",
        f"""CREATE TRIGGER {table}_au_vec AFTER UPDATE OF embedding, deleted_at, {time_col}
            ON {table} BEGIN {log.format("new")} END""",
    ]
    # executescript() would COMMIT the migration's transaction; run them one by one.
    for trigger in triggers:
        conn.execute(trigger)


def _v1_initial(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE vec_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, "
        "row INTEGER NOT NULL)"
    )
    for table, (columns, time_col) in {**_MEMORY_TABLES_V1, **_SOURCE_TABLES_V1}.items():
        _indexed_table(conn, table, columns, time_col)
    conn.execute("CREATE INDEX messages_session ON messages(session, at)")
    conn.execute("CREATE INDEX vec_log_kind ON vec_log(kind, seq)")
    conn.execute("CREATE INDEX messages_speaker ON messages(speaker)")
    conn.execute("CREATE INDEX episodic_actor ON episodic(actor)")
    conn.execute(
        """CREATE TABLE memory_history (
            seq INTEGER PRIMARY KEY,
            memory_id TEXT NOT NULL,
            type TEXT NOT NULL,
            version INTEGER NOT NULL,
            change TEXT NOT NULL CHECK (change IN ('update', 'delete', 'restore')),
            changed_at TEXT NOT NULL,
            data TEXT NOT NULL)"""
    )
    conn.execute("CREATE INDEX memory_history_id ON memory_history(memory_id, seq)")
    conn.execute(
        """CREATE TABLE provenance (
            memory_id TEXT NOT NULL,
            source_kind TEXT NOT NULL CHECK (source_kind IN ('message', 'screenshot')),
            source_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            PRIMARY KEY (memory_id, source_kind, source_id)) WITHOUT ROWID"""
    )
    conn.execute("CREATE INDEX provenance_source ON provenance(source_kind, source_id)")


def _v2_batches(conn: sqlite3.Connection) -> None:
    """Observation batches waiting for the memory agents (persisted before they are
    acknowledged; a failed batch stays pending for a retry)."""
    conn.execute(
        """CREATE TABLE batches (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'done', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            items TEXT NOT NULL)"""
    )
    conn.execute("CREATE INDEX batches_status ON batches(status, created_at)")


def _v3_open_batches(conn: sqlite3.Connection) -> None:
    """A batch may be open (still taking observations, ``sealed_at`` NULL): chat
    turns join it one exchange at a time. Batches written before were whole."""
    conn.execute("ALTER TABLE batches ADD COLUMN sealed_at TEXT")
    conn.execute("UPDATE batches SET sealed_at = created_at")
    conn.execute("CREATE INDEX batches_open ON batches(sealed_at) WHERE sealed_at IS NULL")


def _v4_sensitive_boxes(conn: sqlite3.Connection) -> None:
    """Where a screenshot shows text that redaction hides (secrets, personal data):
    a JSON list of ``[left, top, right, bottom]`` pixel boxes, blacked out before
    the image may go to a provider. NULL (every frame kept before this version):
    not known, so the image is never sent."""
    conn.execute("ALTER TABLE screenshots ADD COLUMN sensitive_boxes TEXT")


def _v5_batch_plans(conn: sqlite3.Connection) -> None:
    """A batch's plan: once the meta-agent's call succeeded (and its new memories
    were written), the work it left for the memory agents, as a JSON object of
    memory type -> instruction, shrinking as agents finish. A retry runs only
    what is left, so a failure after the meta-agent never writes its memories
    twice. NULL: the meta-agent has not run."""
    conn.execute("ALTER TABLE batches ADD COLUMN plan TEXT")


def _v6_screen_chunks(conn: sqlite3.Connection) -> None:
    """The text embedding of each chunk of a screenshot's text (float16 rows of
    the embedder's width, in reading order), next to the one vector of the whole
    screen: a question about one part of a busy screen is compared with that
    part too. NULL (frames kept before this version): the screen vector alone."""
    conn.execute("ALTER TABLE screenshots ADD COLUMN chunk_embeddings BLOB")


def _v7_screen_apps(conn: sqlite3.Connection) -> None:
    """An index holding every column a screenshot filter reads (app, time,
    deleted mark): listing the frames of one app out of 100,000 scans this small
    index instead of the table with its text and vectors."""
    conn.execute("CREATE INDEX screenshots_app ON screenshots(app, at, deleted_at)")


def _v8_batch_leases(conn: sqlite3.Connection) -> None:
    """Batch claims across processes: a worker holds a batch under a lease (its
    owner and until when) while the memory agents run on it, so two runs at once
    (the app's timer, ``capture run``, ``absorb``) never take the same batch, and a
    killed worker's batch is taken over once the lease runs out. ``retry_at``: when
    the background run may retry a failed batch (its back-off); the failed batches
    of an older version are due at once."""
    conn.execute("ALTER TABLE batches ADD COLUMN lease_owner TEXT")
    conn.execute("ALTER TABLE batches ADD COLUMN lease_until TEXT")
    conn.execute("ALTER TABLE batches ADD COLUMN retry_at TEXT")
    conn.execute(
        "UPDATE batches SET retry_at = updated_at WHERE status = 'pending' AND attempts > 0"
    )


def _v9_four_digit_years(conn: sqlite3.Connection) -> None:
    """Times before year 1000 were stored with a short year (``999-05-01T...``):
    they sorted after every later time, and an export holding one did not import.
    Pad them to four digits (27 characters), as they are stored from now on. Only
    the times a user gives can be that early; the others are the clock's."""
    for table, column in (("episodic", "occurred_at"), ("messages", "at"), ("screenshots", "at")):
        conn.execute(
            f"UPDATE {table} SET {column} = substr('000' || {column}, -27) "
            f"WHERE {column} GLOB '[0-9]-*' OR {column} GLOB '[0-9][0-9]-*' "
            f"OR {column} GLOB '[0-9][0-9][0-9]-*'"
        )


def _v10_changed_by(conn: sqlite3.Connection) -> None:
    """Who made each version of a memory: the row's ``changed_by`` names whoever
    made its current version (the add, edit, delete or restore), and each history
    entry keeps its version's in its data. NULL: mirix-app itself (you, through
    the command line or the desktop app, or its memory agents); another AI tool
    writing through the MCP server is recorded as ``mcp:<its name>``."""
    for table in _MEMORY_TABLES_V1:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN changed_by TEXT")


def _v11_cjk_index(conn: sqlite3.Connection) -> None:
    """Every full-text index holds its columns in index form (storage.cjk): CJK
    text as character bigrams, so a word inside an unspaced Chinese or Japanese
    sentence is a token; other text exactly as before. The triggers apply the
    SQL function ``mirix_index_form`` (registered on every connection of
    storage.db), and the rows stored before whose index form differs (those
    holding CJK or full-width characters) are indexed again here, in this
    version's form (bigrams alone, which v12 then extends); the rest already
    are. The content tables keep the text as written, so the FTS5 'rebuild'
    command would index it raw: re-index through the function instead, as
    here."""
    register_index_form(conn)
    form = _register_v11_form(conn)
    for table, (_, time_col) in {**_MEMORY_TABLES_V1, **_SOURCE_TABLES_V1}.items():
        for event in ("ai", "ad", "au_fts", "au_vec"):
            conn.execute(f"DROP TRIGGER {table}_{event}")
        _index_triggers(conn, table, time_col, form=INDEX_FORM_SQL + "({})")
        changed = (
            f"FROM {table} WHERE deleted_at IS NULL AND ({form.format('search_text')} "
            f"!= search_text OR {form.format('context')} != context)"
        )
        conn.execute(
            f"INSERT INTO {table}_fts({table}_fts, rowid, search_text, context) "
            f"SELECT 'delete', rowid, search_text, context {changed}"
        )
        conn.execute(
            f"INSERT INTO {table}_fts(rowid, search_text, context) SELECT rowid, "
            f"{form.format('search_text')}, {form.format('context')} {changed}"
        )


def _register_v11_form(conn: sqlite3.Connection) -> str:
    """The index form as schema v11 wrote it (CJK bigrams alone) as an SQL
    function on ``conn``; its call pattern."""
    conn.create_function(
        "mirix_index_form_v11",
        1,
        lambda v: index_form(v, unigrams=False) if isinstance(v, str) else v,
        deterministic=True,
    )
    return "mirix_index_form_v11({})"


def _v12_cjk_single_characters(conn: sqlite3.Connection) -> None:
    """The index form of CJK text holds its single characters beside its bigrams
    (storage.cjk). The rows whose form changes (those with a CJK run of two or
    more characters) leave the full-text index with the tokens they went in with
    (the v11 form, bigrams alone) and enter it again in the new form; the
    triggers already apply the new one."""
    register_index_form(conn)
    new, old = INDEX_FORM_SQL + "({})", _register_v11_form(conn)
    for table in {**_MEMORY_TABLES_V1, **_SOURCE_TABLES_V1}:
        changed = (
            f"FROM {table} WHERE deleted_at IS NULL AND ({new.format('search_text')} "
            f"!= {old.format('search_text')} OR {new.format('context')} != "
            f"{old.format('context')})"
        )
        conn.execute(
            f"INSERT INTO {table}_fts({table}_fts, rowid, search_text, context) "
            f"SELECT 'delete', rowid, {old.format('search_text')}, {old.format('context')} "
            f"{changed}"
        )
        conn.execute(
            f"INSERT INTO {table}_fts(rowid, search_text, context) SELECT rowid, "
            f"{new.format('search_text')}, {new.format('context')} {changed}"
        )


MIGRATIONS: tuple[Migration, ...] = (
    _v1_initial,
    _v2_batches,
    _v3_open_batches,
    _v4_sensitive_boxes,
    _v5_batch_plans,
    _v6_screen_chunks,
    _v7_screen_apps,
    _v8_batch_leases,
    _v9_four_digit_years,
    _v10_changed_by,
    _v11_cjk_index,
    _v12_cjk_single_characters,
)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def apply_migrations(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> int:
    """Bring the database up to ``len(migrations)``; return the number applied."""
    current = schema_version(conn)
    if current > len(migrations):
        raise CorruptDatabaseError(
            f"The database is at schema version {current}, newer than this mirix-app "
            f"understands ({len(migrations)}); upgrade mirix-app."
        )
    for version, migration in enumerate(migrations[current:], start=current + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            migration(conn)
            conn.execute(f"PRAGMA user_version = {version}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return len(migrations) - current
