"""Crash safety and import cost of retrieval indexes, with real writer processes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from conftest import ROOT, real_english_texts

from agentlm.retrieval import Index, open_index
from agentlm.retrieval import vectors as faiss_file
from agentlm.retrieval.chunking import chunk_text

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1"}
WRITER = """
import sys
import agentlm.retrieval.index as index_module
index_module.BATCH_CHUNKS = 4  # many small commits, so that the kill lands between two of them
from agentlm.retrieval import open_index
open_index(sys.argv[1], create=True).add([sys.argv[2]])
"""


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _query(db_path: Path, sql: str) -> list[tuple]:
    """Read the store from outside (read-only; never creates the file)."""
    try:
        with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)) as db:
            return db.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []


def test_writer_killed_mid_ingest_leaves_a_consistent_index(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    texts = [t for t in real_english_texts(120) if 300 < len(t) < 900][:20]
    for i, text in enumerate(texts):
        (folder / f"doc{i:02d}.txt").write_text(text, encoding="utf-8")
    path, store = tmp_path / "crash-index", tmp_path / "crash-index" / "chunks.sqlite"

    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(folder)], cwd=ROOT, env=ENV,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    while not (rows := _query(store, "SELECT COUNT(*) FROM documents")) or rows[0][0] < 2:
        assert writer.poll() is None, writer.communicate()[1].decode()[-2000:]
        assert time.time() < deadline, "the writer committed nothing in time"
        time.sleep(0.02)
    writer.send_signal(signal.SIGKILL)
    writer.communicate()
    assert writer.returncode == -signal.SIGKILL

    committed = _query(store, "SELECT COUNT(*) FROM documents")[0][0]
    assert 2 <= committed < len(texts)  # killed mid-ingest
    generation = int(_query(store, "SELECT value FROM meta WHERE key = 'generation'")[0][0])
    stale = faiss_file.load(path / "vectors.faiss")
    assert stale is None or stale[1] != generation  # the FAISS file lags behind the store

    with open_index(path) as idx:
        stats = idx.stats()
        chunks = _query(store, "SELECT doc, position FROM chunks ORDER BY doc, position")
        assert stats["count"] == len(chunks) == _query(store, "SELECT COUNT(*) FROM chunks_fts")[0][0]
        assert stats["documents"] == committed and stats["generation"] == generation
        for d in idx.documents():  # whole documents only: every chunk of each, numbered 0..n-1
            expected = chunk_text(Path(d["doc"]).read_text(encoding="utf-8"), 800, 100)
            assert [p for doc, p in chunks if doc == d["doc"]] == list(range(len(expected))), d["doc"]
        rebuilt = faiss_file.load(path / "vectors.faiss")  # rebuilt from the stored vectors on open
        assert rebuilt is not None and rebuilt[1] == generation and rebuilt[0].ntotal == len(chunks)
        manifest = json.loads((path / "manifest.json").read_text())
        assert manifest["generation"] == generation and manifest["chunks"] == len(chunks)
        assert not list(path.glob("*.tmp*"))
        first = idx.documents()[0]["doc"]
        assert idx.search(Path(first).read_text()[:300], k=1, mode="dense")[0].doc == first
        assert idx.search(Path(first).read_text()[:300], k=1)[0].doc == first

        report = idx.add([folder])  # running the same add again resumes where the writer died
        assert (report.skipped, report.added, report.failed) == (committed, len(texts) - committed, 0)
        assert len(idx.documents()) == len(texts)


def test_importing_and_bm25_search_load_no_torch(tmp_path: Path) -> None:
    with Index.create(tmp_path / "small") as idx:
        idx.add_texts(["The lighthouse keeper wound the clockwork every night."], source="keeper")
    code = ("import sys, json\nimport agentlm.retrieval\nfrom agentlm.retrieval import open_index\n"
            "idx = open_index(sys.argv[1])\nhits = idx.search('clockwork', mode='bm25')\n"
            "print(json.dumps([hits[0].doc, 'torch' in sys.modules, 'sentence_transformers' in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "small")], cwd=ROOT, env=ENV,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == ["keeper", False, False]
