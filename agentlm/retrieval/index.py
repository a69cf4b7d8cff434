"""Named retrieval indexes: create, add files or texts, delete, search (hybrid, dense, bm25), list, stats.

An index is a directory:

    chunks.sqlite   documents, chunks, metadata, vectors, BM25 (FTS5) and a generation counter: the truth
    vectors.faiss   FAISS index of the stored vectors, tagged with the generation it was built from
    manifest.json   model, dimension, factory, chunk settings, counts, generation (written atomically)

Every add or delete is committed to SQLite in whole documents; the FAISS file and the manifest are then
rewritten atomically. Opening an index whose FAISS file is missing or from another generation (a writer
was killed) rebuilds it from the stored vectors.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agentlm.data.readers import iter_files
from agentlm.retrieval import vectors
from agentlm.retrieval.chunking import HEADING_FORMATS, check_sizes, chunk_text
from agentlm.retrieval.embeddings import Embedder, load_embedder, resolve_model
from agentlm.retrieval.hits import Hit, Rerank, reciprocal_rank_fusion
from agentlm.retrieval.loaders import Document, file_format, file_sha256, load_file, make_record
from agentlm.retrieval.store import ChunkStore

log = logging.getLogger(__name__)

STORE, VECTORS, MANIFEST = "chunks.sqlite", "vectors.faiss", "manifest.json"
MODES = ("hybrid", "dense", "bm25")
BATCH_CHUNKS = 64  # chunks embedded and committed together while adding files
FORMAT_VERSION = 1


def index_root() -> Path:
    """Where named indexes live: ``$AGENTLM_INDEX_DIR`` if set, else ``./indexes``."""
    return Path(os.environ.get("AGENTLM_INDEX_DIR") or "indexes").expanduser()


def resolve_index_path(name_or_path: str | Path) -> Path:
    """A name (``docs``) is ``index_root()/docs``; a Path, anything with a separator or an existing dir is a path."""
    s = str(name_or_path)
    if not s:
        raise ValueError("an index name or path is required")
    if isinstance(name_or_path, Path) or os.sep in s or (os.altsep and os.altsep in s) or Path(s).is_dir():
        return Path(s).expanduser()
    return index_root() / s


def _iso(t: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _write_json_atomic(path: Path, obj: Any) -> None:
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _remove_stale_temp_files(path: Path) -> None:
    """Delete temp files left by writers that were killed (their pid no longer runs)."""
    for tmp in path.glob("*.tmp*"):
        pid = tmp.name.rsplit(".tmp", 1)[-1]
        if pid.isdigit():
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                tmp.unlink(missing_ok=True)
            except PermissionError:
                pass


def _settings(path: Path) -> dict[str, Any] | None:
    """The settings of the index at ``path``, None when there is none (or its creation was interrupted)."""
    if not (path / STORE).is_file():
        return None
    store = ChunkStore(path / STORE)
    try:
        return store.get_meta("settings")
    finally:
        store.close()


def _missing(name_or_path: str | Path, path: Path) -> FileNotFoundError:
    known = [i["name"] for i in list_indexes()]
    return FileNotFoundError(
        f"no index at {path}" + (f" (the name {str(name_or_path)!r} resolves there)" if str(path) != str(name_or_path)
                                 else "")
        + f"; create it with `agentlm index add PATH... --index {name_or_path}` or open_index(..., create=True)"
        + (f"; indexes in {index_root()}: {', '.join(known)}" if known else ""))


@dataclass
class AddReport:
    """What an add did: files added, updated (changed content), skipped (unchanged), failed, unsupported."""

    added: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    unsupported: int = 0
    chunks: int = 0
    seconds: float = 0.0
    failures: dict[str, str] = field(default_factory=dict)  # doc -> error
    unsupported_types: dict[str, int] = field(default_factory=dict)  # suffix -> files

    @property
    def chunks_per_second(self) -> float:
        return self.chunks / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "chunks_per_second": round(self.chunks_per_second, 2)}

    def summary(self) -> str:
        lines = [f"files: {self.added} added, {self.updated} updated, {self.skipped} unchanged, {self.failed} failed, "
                 f"{self.unsupported} unsupported",
                 f"chunks: {self.chunks} in {self.seconds:.1f} s ({self.chunks_per_second:.1f} chunks/s)"]
        if self.unsupported:
            kinds = ", ".join(f"{k}: {v}" for k, v in sorted(self.unsupported_types.items()))
            lines.append(f"warning: skipped {self.unsupported} unsupported files ({kinds})")
        lines += [f"failed: {doc}: {err}" for doc, err in self.failures.items()]
        return "\n".join(lines)


def _with_context(text: str, meta: dict[str, Any]) -> str:
    """What is embedded and BM25-indexed for a chunk: its heading path (or title) on top of its text."""
    context = meta.get("section") or meta.get("title") or ""
    return f"{context}\n{text}" if context and not text.startswith(context) else text


@dataclass
class _Prepared:
    doc: str
    title: str
    format: str
    sha256: str
    metadata: dict[str, Any]
    chunks: list[tuple[str, str, dict[str, Any]]]  # (title, text, metadata)
    update: bool


class Index:
    """A named index on disk; use ``Index.create`` or ``open_index``. Thread-safe; also a context manager."""

    def __init__(self, path: Path, store: ChunkStore, settings: dict[str, Any]) -> None:
        self.path, self.name, self.settings = path, path.name, settings
        self.dim = int(settings["dim"])
        self._store = store
        self._lock = threading.RLock()
        self._faiss: Any = None
        self._info: vectors.FaissInfo | None = None
        self._gen = -1
        self._embedder: Embedder | None = None
        _remove_stale_temp_files(path)
        self._sync()

    # --- opening -------------------------------------------------------------------------------

    @classmethod
    def create(cls, path_or_name: str | Path, embedding_model: str | Path | None = None, factory: str = "Flat",
               chunk_size: int = 800, chunk_overlap: int = 100) -> Index:
        """Create a new empty index; FileExistsError if one exists there."""
        path = resolve_index_path(path_or_name)
        if _settings(path) is not None:
            raise FileExistsError(f"an index already exists at {path}; open it with open_index({str(path_or_name)!r})")
        if path.exists() and (not path.is_dir() or any(p.name != STORE and not p.name.startswith(STORE + "-")
                                                       for p in path.iterdir())):
            raise FileExistsError(f"{path} exists and is not an index; choose another name or path")
        check_sizes(chunk_size, chunk_overlap)
        embedder = load_embedder(embedding_model)  # fails early on a bad model, and gives the dimension
        vectors.check_factory(factory, embedder.dim)
        path.mkdir(parents=True, exist_ok=True)
        settings = {"format_version": FORMAT_VERSION, "model": embedder.name, "model_path": embedder.path,
                    "dim": embedder.dim, "metric": "inner product of normalized vectors (cosine)",
                    "factory": factory, "chunk_size": chunk_size, "chunk_overlap": chunk_overlap, "created": _iso()}
        store = ChunkStore(path / STORE)
        with store.write() as db:
            store.set_meta(db, "settings", settings)
        index = cls(path, store, settings)
        index._embedder = embedder
        return index

    @classmethod
    def open(cls, path_or_name: str | Path, embedding_model: str | Path | None = None, factory: str | None = None,
             chunk_size: int | None = None, chunk_overlap: int | None = None) -> Index:
        """Open an existing index; settings given here must match those it was created with."""
        path = resolve_index_path(path_or_name)
        settings = _settings(path)
        if settings is None:
            raise _missing(path_or_name, path)
        if embedding_model is not None and resolve_model(embedding_model)[0] != settings["model"]:
            raise ValueError(
                f"index {path.name!r} was built with the embedding model {settings['model']} (dimension "
                f"{settings['dim']}); it cannot be searched or extended with {resolve_model(embedding_model)[0]}. "
                "Omit the model to use the index's own, or build a new index for the other model.")
        for key, value in (("factory", factory), ("chunk_size", chunk_size), ("chunk_overlap", chunk_overlap)):
            if value is not None and value != settings[key]:
                raise ValueError(f"index {path.name!r} was created with {key}={settings[key]!r} (you asked for "
                                 f"{value!r}); settings are fixed when an index is created: build a new index")
        return cls(path, ChunkStore(path / STORE), settings)

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None  # type: ignore[assignment]

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Index({str(self.path)!r})"

    # --- the FAISS artifact --------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            embedder = load_embedder(self.settings["model"])
            if embedder.dim != self.dim:
                raise ValueError(f"embedding model {embedder.name} gives {embedder.dim}-dim vectors but index "
                                 f"{self.name!r} holds {self.dim}-dim vectors")
            self._embedder = embedder
        return self._embedder

    def _sync(self) -> None:
        """Bring the in-memory FAISS index to the store's generation: load the file, or rebuild it."""
        if self._store is None:
            raise ValueError(f"index {self.name!r} is closed")
        gen = self._store.generation
        if self._faiss is not None and gen == self._gen:
            return
        loaded, manifest = vectors.load(self.path / VECTORS), _read_json(self.path / MANIFEST)
        if loaded is not None and loaded[1] == gen and manifest.get("generation") == gen and "faiss" in manifest:
            self._faiss, self._gen = loaded[0], gen
            self._info = vectors.FaissInfo(**manifest["faiss"])
            return
        log.info("rebuilding %s from the chunk store (generation %s, file %s)", self.path / VECTORS, gen,
                 loaded[1] if loaded else "missing")
        self._rebuild()
        self._persist()

    def _rebuild(self) -> None:
        gen, ids, vecs = self._store.snapshot(self.dim)
        self._faiss, self._info = vectors.build(self.settings["factory"], self.dim, ids, vecs)
        self._gen = gen

    def _apply(self, removed: list[int], ids: list[int], vecs: np.ndarray) -> None:
        """Mirror the write just committed in the in-memory FAISS index (or mark it for a rebuild)."""
        before, after = self._store.last_write
        if self._faiss is None or before != self._gen or not vectors.remove(self._faiss, removed):
            self._faiss = None  # another process wrote in between, or the index type cannot remove
        elif ids:
            self._faiss.add_with_ids(vecs, np.asarray(ids, dtype=np.int64))
        self._gen = after

    def _persist(self) -> None:
        """Write the FAISS file and the manifest for the current generation (skipped when read-only)."""
        if self._faiss is None or vectors.needs_rebuild(self._info, self._faiss.ntotal):
            self._rebuild()
        docs, chunks = self._store.counts()
        manifest = {"name": self.name, **self.settings, "generation": self._gen, "faiss": self._info.to_dict(),
                    "documents": docs, "chunks": chunks, "files": {"store": STORE, "vectors": VECTORS},
                    "updated": _iso()}
        try:
            vectors.save(self._faiss, self.path / VECTORS, self._gen)
            _write_json_atomic(self.path / MANIFEST, manifest)
        except OSError as e:
            log.warning("could not write %s (read-only?): %s; the index works from memory", self.path, e)

    # --- writing -------------------------------------------------------------------------------

    def _prepare(self, doc: str, document: Document, sha256: str, update: bool) -> _Prepared:
        chunks: list[tuple[str, str, dict[str, Any]]] = []
        fmt = document.format if document.format in HEADING_FORMATS else "text"
        for record in document.records:
            for c in chunk_text(record.text, self.settings["chunk_size"], self.settings["chunk_overlap"], fmt):
                title = c.title or record.title or document.title
                meta = {**document.metadata, **record.metadata, "source": doc, "title": title, "section": c.section,
                        "position": len(chunks), "start": c.start, "end": c.end, "format": document.format}
                chunks.append((title, c.text, meta))
        if not chunks:
            raise ValueError("no text to index")
        return _Prepared(doc, document.title, document.format, sha256, document.metadata, chunks, update)

    def _commit(self, batch: list[_Prepared], report: AddReport) -> None:
        """Embed a batch of documents and store them in one transaction."""
        texts = [_with_context(text, meta) for p in batch for _, text, meta in p.chunks]
        known = {_with_context(t, m): v for p in batch if p.update for t, m, v in self._store.document_vectors(p.doc)}
        todo = [t for t in dict.fromkeys(texts) if t not in known]  # an updated file re-embeds changed chunks only
        if todo:
            known.update(zip(todo, self.embedder.encode(todo), strict=True))
        vecs = np.stack([known[t] for t in texts]) if texts else np.zeros((0, self.dim), dtype=np.float32)
        removed: list[int] = []
        ids: list[int] = []
        with self._store.write() as db:
            offset = 0
            for p in batch:
                part = slice(offset, offset + len(p.chunks))
                r, n = self._store.put_document(db, p.doc, p.title, p.format, p.sha256, p.metadata, p.chunks,
                                                vecs[part], texts[part])
                offset += len(p.chunks)
                removed += r
                ids += n
        self._apply(removed, ids, vecs)
        report.chunks += len(ids)
        report.updated += sum(p.update for p in batch)
        report.added += sum(not p.update for p in batch)

    def add(self, paths: str | Path | Iterable[str | Path], exclude: Iterable[str] = ()) -> AddReport:
        """Add files and folders (recursively); changed files are replaced, unchanged ones skipped.

        Documents are committed in batches, each batch all or nothing, so an interrupted add keeps what it
        finished and running it again resumes. ``exclude`` holds glob patterns of names or paths to skip.
        """
        t0 = time.perf_counter()
        report = AddReport()
        paths = [Path(p) for p in ([paths] if isinstance(paths, str | Path) else paths)]
        if missing := [str(p) for p in paths if not p.exists()]:
            raise FileNotFoundError(f"no such file or folder: {', '.join(missing)}")
        own = self.path.resolve()
        with self._lock:
            self._sync()
            batch: list[_Prepared] = []
            for path in iter_files(paths, exclude):
                doc = str(path.resolve())
                if Path(doc).is_relative_to(own) or (path.parent / STORE).is_file():
                    continue  # the files of an index are not documents
                if (fmt := file_format(path)) is None:
                    report.unsupported += 1
                    kind = path.suffix.lower() or "(no suffix)"
                    report.unsupported_types[kind] = report.unsupported_types.get(kind, 0) + 1
                    continue
                try:
                    sha = file_sha256(path)
                    old = self._store.document_sha(doc)
                    if old == sha:
                        report.skipped += 1
                        continue
                    batch.append(self._prepare(doc, load_file(path, fmt), sha, update=old is not None))
                except Exception as e:  # one broken file must not stop a folder: count it and go on
                    report.failed += 1
                    report.failures[doc] = f"{type(e).__name__}: {e}"
                    continue
                if sum(len(p.chunks) for p in batch) >= BATCH_CHUNKS:
                    self._commit(batch, report)
                    batch = []
            if batch:
                self._commit(batch, report)
            if report.added or report.updated:
                self._persist()
        report.seconds = time.perf_counter() - t0
        if report.unsupported:
            log.info("skipped %d unsupported files: %s", report.unsupported, report.unsupported_types)
        return report

    def add_texts(self, texts: str | list[str], metadatas: list[dict[str, Any]] | None = None,
                  source: str | None = None, title: str | None = None) -> AddReport:
        """Add texts as one document named ``source`` (default ``texts:<hash>``), each text with its metadata.

        A ``title`` key in a text's metadata titles its chunks. Adding the same source again replaces it
        (or skips it when nothing changed).
        """
        t0 = time.perf_counter()
        texts = [texts] if isinstance(texts, str) else list(texts)
        metadatas = list(metadatas) if metadatas is not None else [{} for _ in texts]
        if len(metadatas) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(metadatas)} metadatas")
        sha = hashlib.sha256(json.dumps([texts, metadatas, title], sort_keys=True, default=str).encode()).hexdigest()
        source = source or f"texts:{sha[:12]}"
        records = [make_record(t, m) for t, m in zip(texts, metadatas, strict=True)]
        document = Document(title or (records[0].title if len(records) == 1 else "") or source, "markdown", records)
        report = AddReport()
        with self._lock:
            self._sync()
            old = self._store.document_sha(source)
            if old == sha:
                report.skipped = 1
            else:
                self._commit([self._prepare(source, document, sha, update=old is not None)], report)
                self._persist()
        report.seconds = time.perf_counter() - t0
        return report

    def _doc_key(self, doc: str | Path) -> str:
        """The stored name of ``doc``: exact, as a resolved path, or a unique path suffix."""
        for candidate in (str(doc), str(Path(doc).expanduser().resolve())):
            if self._store.document_sha(candidate) is not None:
                return candidate
        docs = [d["doc"] for d in self._store.documents()]
        tail = "/" + str(doc).removeprefix("./")
        matches = [d for d in docs if d.endswith(tail)]
        if len(matches) == 1:
            return matches[0]
        hint = (f"; it matches {len(matches)} documents: {', '.join(matches[:5])}" if matches
                else f"; `agentlm index list --index {self.name}` shows its {len(docs)} documents")
        raise KeyError(f"no document {str(doc)!r} in index {self.name!r}{hint}")

    def delete(self, doc: str | Path) -> int:
        """Remove a document (by source path or name) and its chunks; returns the number of chunks removed."""
        with self._lock:
            self._sync()
            key = self._doc_key(doc)
            with self._store.write() as db:
                removed = self._store.delete_document(db, key)
            self._apply(removed, [], np.zeros((0, self.dim), dtype=np.float32))
            self._persist()
        return len(removed)

    # --- reading -------------------------------------------------------------------------------

    def search(self, query: str, k: int = 5, mode: str = "hybrid", filters: dict[str, Any] | None = None,
               rerank: Rerank | None = None) -> list[Hit]:
        """The k best chunks for ``query``.

        mode: "hybrid" (BM25 and dense fused by reciprocal rank), "dense" (cosine) or "bm25".
        filters: ``{"source": "*.md"}`` (glob on the document path) or ``{key: value}`` (equality on chunk
        metadata; a list means any of). rerank: ``(query, hits) -> hits``, given up to max(4k, 20) candidates.
        """
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r}; use one of {', '.join(MODES)}")
        if k <= 0 or not query.strip():
            return []
        n = k if mode != "hybrid" and rerank is None else max(4 * k, 20)
        qv = self.embedder.encode([query])[0] if mode != "bm25" else None
        with self._lock:
            self._sync()
            dense: list[tuple[int, float]] = []
            sparse: list[tuple[int, float]] = []
            if qv is not None:
                allowed = self._store.filtered_ids(filters) if filters else None
                dense = vectors.search(self._faiss, qv, n, allowed)
            if mode != "dense":
                sparse = self._store.bm25(query, n, filters)
            ranked = reciprocal_rank_fusion([dense, sparse]) if mode == "hybrid" else dense or sparse
            ranked = ranked[:n]
            rows = self._store.chunks([cid for cid, _ in ranked])
        hits = [Hit(r.doc, cid, score, r.text, r.title, r.metadata) for cid, score in ranked if (r := rows.get(cid))]
        if rerank is not None:
            hits = list(rerank(query, hits))
        return hits[:k]

    def documents(self) -> list[dict[str, Any]]:
        """``{doc, title, chunks, added, updated, format}`` for every document, sorted by doc."""
        with self._lock:
            self._sync()
            return self._store.documents()

    def stats(self) -> dict[str, Any]:
        """Counts, model, dimension, factory (asked for and as built) and size on disk."""
        with self._lock:
            self._sync()
            docs, chunks = self._store.counts()
            size = sum(f.stat().st_size for f in self.path.iterdir() if f.is_file())
            return {"name": self.name, "path": str(self.path), "count": chunks, "documents": docs, "dim": self.dim,
                    "model": self.settings["model"], "factory": self.settings["factory"],
                    "faiss": self._info.effective, "faiss_note": self._info.note,
                    "chunk_size": self.settings["chunk_size"], "chunk_overlap": self.settings["chunk_overlap"],
                    "generation": self._gen, "size_bytes": size}


def open_index(name_or_path: str | Path, create: bool = False, **create_kwargs: Any) -> Index:
    """Open an index by name or path; with ``create=True`` make it when missing (``create_kwargs`` go to
    ``Index.create``; given for an existing index they must match its settings)."""
    kwargs = {k: v for k, v in create_kwargs.items() if v is not None}
    path = resolve_index_path(name_or_path)
    if create and _settings(path) is None:
        return Index.create(name_or_path, **kwargs)
    return Index.open(name_or_path, **kwargs)


def list_indexes(root: str | Path | None = None) -> list[dict[str, Any]]:
    """``{name, path, documents, chunks, model, factory}`` for each index directory under ``root``."""
    root = Path(root) if root is not None else index_root()
    out: list[dict[str, Any]] = []
    if not root.is_dir():
        return out
    for path in sorted(p for p in root.iterdir() if (p / STORE).is_file()):
        store = ChunkStore(path / STORE)
        with contextlib.closing(store):
            settings = store.get_meta("settings")
            if settings is None:
                continue
            docs, chunks = store.counts()
        out.append({"name": path.name, "path": str(path), "documents": docs, "chunks": chunks,
                    "model": settings["model"], "factory": settings["factory"]})
    return out
