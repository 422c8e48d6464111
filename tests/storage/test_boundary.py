"""The storage boundary holds: no SQL outside ``storage/``. The agents layer and
the app reach the database only through storage's repositories and unit of
work, so a second engine can sit behind them (``sqlite3`` itself is kept out by
an import-linter contract; this catches SQL written as text)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = ("agents", "mirix_app")

SQL = re.compile(
    r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+(OR\s+\w+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b"
    r"|\bDELETE\s+FROM\b|\bCREATE\s+(TABLE|INDEX|TRIGGER|VIRTUAL\s+TABLE|VIEW)\b"
    r"|\b(DROP|ALTER)\s+TABLE\b|\bPRAGMA\s+\w+|\bREPLACE\s+INTO\b|\bVACUUM\b"
)
"""SQL statements as this project writes them (keywords in capitals, so prose such
as "select a file" is not taken for a query)."""
DATABASE_CALLS = {"execute", "executemany", "executescript", "reading", "query"}
"""Method names that run SQL on a connection or open one."""


def sql_in(source: str) -> list[str]:
    """What in ``source`` looks like SQL: string constants holding a statement,
    and calls of a connection's methods."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if SQL.search(node.value):
                found.append(f"line {node.lineno}: {node.value.strip()[:60]!r}")
        elif isinstance(node, ast.JoinedStr):
            text = "".join(
                v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "x"
                for v in node.values
            )
            if SQL.search(text):
                found.append(f"line {node.lineno}: {text.strip()[:60]!r}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in DATABASE_CALLS
            and isinstance(node.func.value, ast.Attribute | ast.Name)
            and _names_a_database(node.func.value)
        ):
            found.append(f"line {node.lineno}: .{node.func.attr}() on a connection")
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in {"db", "_db"}
            and _names(node.value) == "storage"
        ):
            found.append(f"line {node.lineno}: the storage's database")
    return found


def _names(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def _names_a_database(node: ast.expr) -> bool:
    return _names(node) in {"conn", "connection", "cursor", "db", "_db", "database"}


def test_no_sql_outside_storage() -> None:
    leaks = {
        str(path.relative_to(ROOT)): found
        for package in OUTSIDE
        for path in sorted((ROOT / package).rglob("*.py"))
        if (found := sql_in(path.read_text(encoding="utf-8")))
    }
    assert leaks == {}


def test_the_check_sees_sql_written_in_the_usual_ways() -> None:
    assert sql_in('conn.execute("UPDATE screenshots SET app = ? WHERE id = ?", (a, b))')
    assert sql_in('rows = q(f"SELECT at FROM {table} WHERE monitor = ?")')
    assert sql_in("x = 'INSERT OR IGNORE INTO provenance VALUES (?)'")
    assert sql_in("storage._db.query(text)")
    assert sql_in("with storage._db.reading() as c: pass")
    assert not sql_in('label = "Select the screenshots to delete from the list"')
    assert not sql_in("hits = storage.search.run(query)")
