"""The SQLite chunk store: the source of truth of an index.

It holds documents, chunks with their metadata and embedding vectors (float32 blobs), an FTS5 table for
BM25 and a generation counter that every write transaction increments. CJK text is indexed for FTS5 as
single characters plus bigrams, so Chinese and Japanese are searchable without a word segmenter.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agentlm.retrieval.chunking import CJK

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc TEXT PRIMARY KEY, title TEXT NOT NULL, format TEXT NOT NULL, sha256 TEXT NOT NULL,
    metadata TEXT NOT NULL, added REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT NOT NULL REFERENCES documents(doc) ON DELETE CASCADE,
    position INTEGER NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL, metadata TEXT NOT NULL,
    vector BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks (doc, position);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5 (body, tokenize = 'porter unicode61 remove_diacritics 2');
"""
_CJK_RUN = re.compile(f"[{CJK}]+")
_QUERY_TOKEN = re.compile(rf"[{CJK}]+|[^\W_{CJK}]+")
DOC_KEYS = ("doc", "source")  # filter keys matched (as globs) against the document path
_STOPWORDS = ("a about an and are as at be been but by can could did do does for from had has have how i if in into is "
              "it its me my not of on or our should so than that the their them then there these they this to was we "
              "were what when where which who whom why will with would you your")
STOPWORDS = frozenset(_STOPWORDS.split())  # dropped from queries (unless all terms are stopwords)


def fts_text(text: str) -> str:
    """Text as indexed for BM25: each CJK run becomes its characters and bigrams, space separated."""
    def grams(m: re.Match) -> str:
        run = m.group()
        return " " + " ".join([*run, *(run[i:i + 2] for i in range(len(run) - 1))]) + " "

    return _CJK_RUN.sub(grams, text)


def fts_query(query: str) -> str | None:
    """An FTS5 OR-query of the query's terms (CJK runs as bigrams, English stopwords dropped); None if empty."""
    terms: list[str] = []
    for tok in _QUERY_TOKEN.findall(query.lower()):
        if _CJK_RUN.fullmatch(tok):
            terms += [tok] if len(tok) == 1 else [tok[i:i + 2] for i in range(len(tok) - 1)]
        else:
            terms.append(tok)
    terms = list(dict.fromkeys(terms))
    terms = [t for t in terms if t not in STOPWORDS] or terms
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms) or None


def filter_sql(filters: dict[str, Any] | None) -> tuple[str, list[Any]]:
    """SQL condition on ``chunks AS c`` for metadata filters.

    ``doc``/``source`` take a glob on the document path (``*.md``, ``docs/*``); any other key is equality on
    the chunk's metadata (values compared as text; a list means any of them).
    """
    clauses, params = [], []
    for key, value in (filters or {}).items():
        values = value if isinstance(value, list | tuple | set) else [value]
        if key in DOC_KEYS:
            globs = [g for v in values for g in ([str(v)] if str(v).startswith("/") else [str(v), f"*/{v}"])]
            clauses.append("(" + " OR ".join("c.doc GLOB ?" for _ in globs) + ")")
            params += globs
        else:
            texts = [str(int(v)) if isinstance(v, bool) else str(v) for v in values]
            clauses.append(f"CAST(json_extract(c.metadata, ?) AS TEXT) IN ({', '.join('?' * len(texts))})")
            params += ['$."' + str(key).replace('"', '\\"') + '"', *texts]
    return " AND ".join(clauses) or "1", params


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


@dataclass
class StoredChunk:
    id: int
    doc: str
    position: int
    title: str
    text: str
    metadata: dict[str, Any]


class ChunkStore:
    """SQLite file with documents, chunks, vectors, BM25 and a generation counter (WAL mode)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.last_write = (0, 0)
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=60)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction that also increments the generation; all or nothing.

        Afterwards ``last_write`` is (generation before, generation after).
        """
        self.db.execute("BEGIN IMMEDIATE")
        try:
            before = self.generation
            yield self.db
            self.set_meta(self.db, "generation", before + 1)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.last_write = (before, before + 1)

    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_meta(self, db: sqlite3.Connection, key: str, value: Any) -> None:
        db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    @property
    def generation(self) -> int:
        return int(self.get_meta("generation", 0))

    def document_sha(self, doc: str) -> str | None:
        row = self.db.execute("SELECT sha256 FROM documents WHERE doc = ?", (doc,)).fetchone()
        return row[0] if row else None

    def documents(self) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT d.doc, d.title, d.format, d.added, d.updated, COUNT(c.id) FROM documents d "
            "LEFT JOIN chunks c ON c.doc = d.doc GROUP BY d.doc ORDER BY d.doc").fetchall()
        return [{"doc": d, "title": t, "chunks": n, "added": _iso(a), "updated": _iso(u), "format": f}
                for d, t, f, a, u, n in rows]

    def counts(self) -> tuple[int, int]:
        """(documents, chunks)."""
        return (self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0],
                self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def delete_document(self, db: sqlite3.Connection, doc: str) -> list[int]:
        """Remove a document with its chunks and their BM25 rows; returns the removed chunk ids."""
        ids = [r[0] for r in db.execute("SELECT id FROM chunks WHERE doc = ?", (doc,))]
        db.executemany("DELETE FROM chunks_fts WHERE rowid = ?", [(i,) for i in ids])
        db.execute("DELETE FROM chunks WHERE doc = ?", (doc,))
        db.execute("DELETE FROM documents WHERE doc = ?", (doc,))
        return ids

    def put_document(self, db: sqlite3.Connection, doc: str, title: str, fmt: str, sha256: str,
                     metadata: dict[str, Any], chunks: list[tuple[str, str, dict[str, Any]]],
                     vectors: np.ndarray, search_texts: list[str]) -> tuple[list[int], list[int]]:
        """Insert or replace a document and its chunks ``(title, text, metadata)``; (removed ids, new ids).

        ``search_texts`` is what BM25 indexes for each chunk (its text with a heading context).
        """
        row = db.execute("SELECT added FROM documents WHERE doc = ?", (doc,)).fetchone()
        removed = self.delete_document(db, doc) if row else []
        now = time.time()
        db.execute("INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (doc, title, fmt, sha256, json.dumps(metadata, ensure_ascii=False), row[0] if row else now, now))
        new = []
        for pos, ((ctitle, text, meta), vec, body) in enumerate(zip(chunks, vectors, search_texts, strict=True)):
            row_values = (doc, pos, ctitle, text, json.dumps(meta, ensure_ascii=False),
                          np.asarray(vec, dtype=np.float32).tobytes())
            cur = db.execute("INSERT INTO chunks (doc, position, title, text, metadata, vector) "
                             "VALUES (?, ?, ?, ?, ?, ?)", row_values)
            new.append(cur.lastrowid)
            db.execute("INSERT INTO chunks_fts (rowid, body) VALUES (?, ?)", (cur.lastrowid, fts_text(body)))
        return removed, new

    def snapshot(self, dim: int) -> tuple[int, np.ndarray, np.ndarray]:
        """(generation, chunk ids, vectors) read in one transaction, ids in order."""
        self.db.execute("BEGIN")
        try:
            gen = self.generation
            rows = self.db.execute("SELECT id, vector FROM chunks ORDER BY id").fetchall()
        finally:
            self.db.execute("COMMIT")
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        vecs = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), dim)
        return gen, ids, vecs

    def document_vectors(self, doc: str) -> list[tuple[str, dict[str, Any], np.ndarray]]:
        """(text, metadata, vector) of each stored chunk of ``doc``."""
        rows = self.db.execute("SELECT text, metadata, vector FROM chunks WHERE doc = ?", (doc,)).fetchall()
        return [(t, json.loads(m), np.frombuffer(v, dtype=np.float32)) for t, m, v in rows]

    def chunks(self, ids: list[int]) -> dict[int, StoredChunk]:
        out: dict[int, StoredChunk] = {}
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            for cid, doc, pos, title, text, meta in self.db.execute(
                    f"SELECT id, doc, position, title, text, metadata FROM chunks WHERE id IN "
                    f"({', '.join('?' * len(part))})", part):
                out[cid] = StoredChunk(cid, doc, pos, title, text, json.loads(meta))
        return out

    def filtered_ids(self, filters: dict[str, Any] | None) -> np.ndarray:
        where, params = filter_sql(filters)
        rows = self.db.execute(f"SELECT c.id FROM chunks c WHERE {where}", params).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def bm25(self, query: str, k: int, filters: dict[str, Any] | None = None) -> list[tuple[int, float]]:
        """The k best (chunk id, score) by FTS5 BM25; higher scores are better."""
        match = fts_query(query)
        if match is None or k <= 0:
            return []
        where, params = filter_sql(filters)
        rows = self.db.execute(
            f"SELECT chunks_fts.rowid, bm25(chunks_fts) AS s FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid "
            f"WHERE chunks_fts MATCH ? AND {where} ORDER BY s LIMIT ?", [match, *params, k]).fetchall()
        return [(int(i), -float(s)) for i, s in rows]
