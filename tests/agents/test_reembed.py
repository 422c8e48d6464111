"""agents/reembed.py: `mirix-app reindex` embeds anew what another model embedded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agents.assistant import open_assistant
from agents.reembed import reembed, rows_to_reembed
from storage import Query, Storage
from storage.kinds import BY_NAME
from tests.fakes import BODIES, FakeEmbedder, write_jsonl

OLD, NEW = FakeEmbedder(dim=64), FakeEmbedder(dim=96)


def _fill(data: Path) -> None:
    app = open_assistant(data, embedder=OLD)
    try:
        rows = [
            {"speaker": "Ann", "text": f"note {i} about the garden", "at": "2024-01-01"}
            for i in range(5)
        ]
        rows.append({"speaker": "Lin", "text": "周末去救助站领养了一只橘猫", "at": "2024-01-02"})
        app.import_messages(write_jsonl(data.parent / "m.jsonl", rows))
        app.add("semantic", BODIES["semantic"])
        app.core_rewrite("human", "Name: Sam")
    finally:
        app.close()


def test_reindex_embeds_every_row_of_another_width_and_search_finds_them(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _fill(data)
    with Storage.open(data) as storage:
        stale = rows_to_reembed(storage, NEW)
        assert stale == 6 + 6 + 1 + 1  # messages, their episodic memories, semantic, core
        # Before: the new model's queries cannot see the old vectors.
        cat = "Lin: 周末去救助站领养了一只橘猫"
        query = Query(text="", vector=NEW.vector(cat), kinds=(BY_NAME["message"],))
        assert storage.search.run(query) == []
        assert storage.left_out_of_meaning_search() == 6
        seen: list[tuple[int, int]] = []
        assert reembed(storage, NEW, lambda done, total: seen.append((done, total))) == stale
        assert seen[0] == (0, stale) and seen[-1] == (stale, stale)
        assert rows_to_reembed(storage, NEW) == 0
        hits = storage.search.run(query)
        assert hits[0].text == "周末去救助站领养了一只橘猫"
        with storage._db.reading() as conn:
            row = conn.execute("SELECT embedding FROM messages WHERE text LIKE '%橘猫%'").fetchone()
        assert np.allclose(np.frombuffer(row[0], dtype=np.float32), NEW.vector(cat), atol=1e-6)
        assert reembed(storage, NEW) == 0  # nothing left: a second run does nothing


def test_an_interrupted_reindex_keeps_its_work_and_the_next_run_finishes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _fill(data)

    stopped_at: list[int] = []

    def stop_after_a_few_batches(done: int, total: int) -> None:
        if done >= 5:
            stopped_at.append(done)
            raise KeyboardInterrupt

    with Storage.open(data) as storage:
        total = rows_to_reembed(storage, NEW)
        with pytest.raises(KeyboardInterrupt):
            reembed(storage, NEW, stop_after_a_few_batches, batch=4)
        (done,) = stopped_at
        assert 5 <= done < total
        assert rows_to_reembed(storage, NEW) == total - done
        assert reembed(storage, NEW) == total - done
        assert rows_to_reembed(storage, NEW) == 0
