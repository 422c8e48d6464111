"""storage/transfer.py (the format) on the SQLite engine: export and import of
everything, exact round trip."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from storage import InvalidInputError, Query, Storage
from storage.kinds import ALL_KINDS, BY_NAME
from tests.fakes import CJK_TEXT, FakeEmbedder
from tests.memory_data import fill
from tests.storage.conftest import Reopen

EMB = FakeEmbedder()


def export_text(storage: Storage) -> str:
    out = io.StringIO()
    storage.export_to(out)
    return out.getvalue()


def without_export_time(text: str) -> list[str]:
    lines = text.splitlines()
    header = json.loads(lines[0])
    assert header.pop("exported_at")
    return [json.dumps(header, sort_keys=True), *lines[1:]]


def test_export_then_import_into_a_fresh_dir_round_trips_exactly(
    storage: Storage, tmp_path: Path, another_memory: Reopen
) -> None:
    ids = fill(storage)
    first = export_text(storage)
    path = tmp_path / "export.jsonl"
    path.write_text(first, encoding="utf-8")

    with another_memory(tmp_path / "fresh") as fresh:
        counts = fresh.import_file(path)
        second = export_text(fresh)
        assert without_export_time(second) == without_export_time(first)
        assert counts["history"] == 7
        assert counts["provenance"] == 10
        assert counts["core"] == 2
        assert counts["message"] == 2
        # the imported rows work: text and vector search, history, provenance, secrets
        vault = fresh.memories["knowledge_vault"].get(ids["knowledge_vault"])
        assert vault.fields["secret_value"] == "ghp_s3cr3t-VALUE"
        assert [s.external_id for s in vault.sources] == ["D1:1", None]
        assert fresh.core.lines("human") == ["Name: Zoë", "Lives in 東京"]
        assert len(fresh.memories["semantic"].history(ids["semantic"])) == 1
        assert fresh.memories["semantic"].get(ids["semantic"]).changed_by == "mcp:a"
        assert fresh.memories["resource"].get(ids["resource"]).deleted
        hits = fresh.search.run(
            Query(text=CJK_TEXT, vector=EMB.vector(CJK_TEXT), kinds=(BY_NAME["message"],))
        )
        assert [h.id for h in hits][:1] == [ids["m1"]]
        hits = fresh.search.run(Query(text="Quarterly", kinds=ALL_KINDS))
        assert ids["resource"] not in {h.id for h in hits}  # still deleted
        assert fresh.stats()["counts"] == storage.stats()["counts"]


def snapshot(storage: Storage) -> list[str]:
    """Every stored row and version, as the export writes them (its time left out)."""
    return without_export_time(export_text(storage))


def test_export_contains_every_record_kind(storage: Storage) -> None:
    fill(storage)
    lines = [json.loads(x) for x in export_text(storage).splitlines()]
    header = lines[0]
    assert header["record"] == "header"
    assert header["format"] == "mirix-app-export"
    assert {x["record"] for x in lines[1:]} == {"row", "provenance", "history"}
    assert {x["type"] for x in lines if x["record"] == "row"} == {
        "core",
        "episodic",
        "semantic",
        "procedural",
        "resource",
        "knowledge_vault",
        "message",
    }
    vault = next(x for x in lines if x.get("type") == "knowledge_vault")
    assert vault["secret_value"] == "ghp_s3cr3t-VALUE"


def test_importing_twice_is_a_no_op(storage: Storage, tmp_path: Path) -> None:
    fill(storage)
    path = tmp_path / "export.jsonl"
    path.write_text(export_text(storage), encoding="utf-8")
    before = snapshot(storage)
    storage.import_file(path)  # into the very directory it came from
    assert snapshot(storage) == before


def test_conflicting_ids_are_refused_unless_replace(storage: Storage, tmp_path: Path) -> None:
    ids = fill(storage)
    path = tmp_path / "export.jsonl"
    path.write_text(export_text(storage), encoding="utf-8")
    storage.memories["semantic"].update(ids["semantic"], {"summary": "changed after export"})
    before = snapshot(storage)
    with pytest.raises(InvalidInputError, match=f"{ids['semantic']} already exists"):
        storage.import_file(path)
    assert snapshot(storage) == before
    storage.import_file(path, replace=True)
    assert storage.memories["semantic"].get(ids["semantic"]).fields["summary"] == "edited 🎉"


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


HEADER = json.dumps({"record": "header", "format": "mirix-app-export", "version": 1})
GOOD_ROW = json.dumps(
    {
        "record": "row",
        "type": "semantic",
        "id": "sem_1",
        "created_at": "2023-01-01T00:00:00.000000Z",
        "updated_at": "2023-01-01T00:00:00.000000Z",
        "deleted_at": None,
        "version": 1,
        "context": "",
        "embedding": None,
        "name": "n",
        "summary": "sparrows",
        "details": None,
        "source": None,
        "tree_path": "[]",
    }
)


SCREEN_ROW = json.dumps(
    {
        "record": "row",
        "type": "screenshot",
        "id": "scr_1",
        "created_at": "2023-01-01T00:00:00.000000Z",
        "updated_at": "2023-01-01T00:00:00.000000Z",
        "deleted_at": None,
        "version": 1,
        "context": "",
        "at": "2023-01-01T00:00:00.000000Z",
        "ocr_text": "Quarterly report",
        "chunk_embeddings": "AAAAAA==",
    }
)


def test_a_screenshot_keeps_its_chunk_embeddings_through_export_and_import(
    storage: Storage, tmp_path: Path
) -> None:
    storage.import_file(_write(tmp_path / "one.jsonl", [HEADER, SCREEN_ROW]))
    exported = [json.loads(x) for x in export_text(storage).splitlines()]
    screen = next(x for x in exported if x.get("type") == "screenshot")
    assert screen["chunk_embeddings"] == "AAAAAA=="  # two float16 zeros, as written


def _row(**changes: object) -> str:
    return json.dumps({**json.loads(GOOD_ROW), **changes})


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "is empty"),
        (['{"format": "something-else"}'], "not a mirix-app export"),
        (['{"format": "mirix-app-export", "version": 99}'], "export format 99"),
        ([HEADER, GOOD_ROW, "{not json"], ":3: not valid JSON"),
        ([HEADER, "[1, 2]"], ":2: expected a JSON object"),
        ([HEADER, GOOD_ROW, '{"record": "gossip"}'], "unknown record 'gossip'"),
        ([HEADER, GOOD_ROW.replace('"name"', '"colour": 1, "name"')], "unknown field"),
        ([HEADER, GOOD_ROW.replace('"semantic"', '"diary"')], "unknown type 'diary'"),
        (
            [HEADER, GOOD_ROW, '{"record": "provenance", "memory_id": "x"}'],
            "line 3: provenance field source_kind must be a string",
        ),
        ([HEADER, '{"record": "history", "memory_id": "x"}'], "history field type"),
        # values an add would refuse must not get in through an import either
        ([HEADER, _row(created_at="yesterday")], "line 2: created_at 'yesterday'"),
        ([HEADER, _row(summary={"nested": 1})], "semantic.summary must be a string"),
        ([HEADER, _row(summary="   ")], "semantic.summary is empty"),
        ([HEADER, _row(tree_path="not json")], "line 2"),
        ([HEADER, _row(tree_path='"a string"')], "list of strings"),
        ([HEADER, _row(embedding="!!not base64!!")], "embedding is not base64"),
        ([HEADER, _row(embedding="YWJj")], "not a float32 vector"),
        ([HEADER, SCREEN_ROW.replace('"AAAAAA=="', '"YWJj"')], "not a float16 vector"),
        ([HEADER, _row(id="epi_1")], "not an id of a semantic"),
        ([HEADER, _row(version="two")], "version must be a positive integer"),
    ],
)
def test_bad_export_files_write_nothing(
    storage: Storage, tmp_path: Path, lines: list[str], message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    if lines:
        _write(path, lines)
    else:
        path.write_text("", encoding="utf-8")
    before = snapshot(storage)
    with pytest.raises(InvalidInputError, match=message):
        storage.import_file(path)
    assert snapshot(storage) == before


def test_a_good_minimal_file_imports(storage: Storage, tmp_path: Path) -> None:
    counts = storage.import_file(_write(tmp_path / "ok.jsonl", [HEADER, GOOD_ROW]))
    assert counts == {"semantic": 1}
    assert storage.memories["semantic"].get("sem_1").fields["name"] == "n"
    assert [h.id for h in storage.search.run(Query(text="sparrows", kinds=ALL_KINDS))] == ["sem_1"]


def test_an_imported_episode_with_a_vector_is_searchable_by_time(
    storage: Storage, tmp_path: Path
) -> None:
    import base64

    vector = EMB.vector("ski trip")
    row = {
        "record": "row",
        "type": "episodic",
        "id": "epi_1",
        "version": 1,
        "context": "",
        "created_at": "2023-01-01T00:00:00Z",
        "updated_at": "2023-01-01T00:00:00Z",
        "deleted_at": None,
        "embedding": base64.b64encode(vector.tobytes()).decode(),
        "occurred_at": "2023-02-03T04:05:06+01:00",
        "actor": None,
        "event_type": None,
        "summary": "ski trip",
        "details": None,
        "tree_path": "[]",
    }
    storage.import_file(_write(tmp_path / "ok.jsonl", [HEADER, json.dumps(row)]))
    record = storage.memories["episodic"].get("epi_1")
    assert record.fields["occurred_at"] == "2023-02-03T03:05:06.000000Z"
    hits = storage.search.run(
        Query(
            text="",
            vector=vector,
            kinds=(BY_NAME["episodic"],),
            since="2023-02-01T00:00:00.000000Z",
        )
    )
    assert [h.id for h in hits] == ["epi_1"]
