"""The FAISS side of an index: built with ``faiss.index_factory`` over chunk ids, inner product on unit vectors.

The FAISS file is a derived artifact: a 24-byte header (magic + the store generation it was built from)
followed by ``faiss.serialize_index`` bytes, written to a temp file and ``os.replace``d. IVF factories need
training: with few vectors the number of lists is lowered (or Flat is used) and the choice is reported.
"""

from __future__ import annotations

import math
import os
import re
import struct
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

MAGIC = b"AGENTLM-FAISS\x00\x00\x01"
_HEADER = struct.Struct("<16sQ")
_IVF = re.compile(r"IVF(\{n\}|\d+)")
MIN_PER_LIST = 39  # faiss k-means wants at least 39 training points per centroid


@dataclass
class FaissInfo:
    factory: str  # as asked for, e.g. "IVF{n},Flat"
    effective: str  # as built, e.g. "IVF2,Flat" or "Flat"
    trained_on: int  # vectors present when it was built
    note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def effective_factory(factory: str, n: int) -> tuple[str, str]:
    """The factory string to build for ``n`` vectors, and a note when it differs from ``factory``."""
    m = _IVF.search(factory)
    if not m:
        return factory, ""
    auto = m[1] == "{n}"
    want = max(1, int(4 * math.sqrt(n))) if auto else int(m[1])
    if n < MIN_PER_LIST:
        return "Flat", f"too few vectors to train IVF (it needs {MIN_PER_LIST} per list): exact Flat search until then"
    nlist = min(want, n // MIN_PER_LIST)
    built = factory[:m.start()] + f"IVF{nlist}" + factory[m.end():]
    if auto:
        return built, f"nlist {nlist} picked from {n} vectors (4*sqrt(n), at most n/{MIN_PER_LIST})"
    return built, "" if nlist == want else f"nlist lowered from {want} to {nlist} for {n} training vectors"


def check_factory(factory: str, dim: int) -> None:
    """Raise ValueError when faiss cannot parse ``factory``."""
    try:
        faiss.index_factory(dim, effective_factory(factory, 10_000)[0], faiss.METRIC_INNER_PRODUCT)
    except RuntimeError as e:
        raise ValueError(f"invalid FAISS factory string {factory!r}: {str(e).splitlines()[0]}") from e


def build(factory: str, dim: int, ids: np.ndarray, vectors: np.ndarray) -> tuple[faiss.Index, FaissInfo]:
    """A trained index holding ``vectors`` under ``ids``."""
    spec, note = effective_factory(factory, len(ids))
    index = faiss.index_factory(dim, spec, faiss.METRIC_INNER_PRODUCT)
    if faiss.try_extract_index_ivf(index) is None and not isinstance(index, faiss.IndexIDMap):
        index = faiss.IndexIDMap(index)
    if not index.is_trained:
        try:
            index.train(vectors)
        except RuntimeError as e:  # e.g. PQ needs more training points than we have
            index, spec = faiss.IndexIDMap(faiss.IndexFlatIP(dim)), "Flat"
            note = f"training {factory!r} on {len(ids)} vectors failed ({str(e).splitlines()[0]}): exact Flat search"
    if len(ids):
        index.add_with_ids(vectors, ids)
    return index, FaissInfo(factory, spec, len(ids), note)


def needs_rebuild(info: FaissInfo, n: int) -> bool:
    """True when an IVF index built for fewer vectors (or Flat for want of them) should be rebuilt for ``n``."""
    return info.effective != effective_factory(info.factory, n)[0] and n >= 2 * max(info.trained_on, MIN_PER_LIST // 2)


def remove(index: faiss.Index, ids: list[int]) -> bool:
    """Remove ids in place; False when the index type cannot (HNSW), so the caller rebuilds."""
    if not ids:
        return True
    try:
        index.remove_ids(faiss.IDSelectorBatch(np.asarray(ids, dtype=np.int64)))
    except RuntimeError:
        return False
    return True


def ivf_nprobe(nlist: int) -> int:
    """Lists an IVF search visits: 1/16 of them, at least 16 (IVF1024 at 100k chunks: nprobe 64, recall@10 0.93
    against exact search, 0.5 ms; nprobe 16 found only 0.82 of the true top 10, docs/benchmarks.md)."""
    return min(nlist, max(16, nlist // 16))


def search(index: faiss.Index, query: np.ndarray, k: int, allowed: np.ndarray | None = None
           ) -> list[tuple[int, float]]:
    """The k best (chunk id, inner product) for one query vector, optionally only among ``allowed`` ids."""
    k = min(k, index.ntotal if allowed is None else min(index.ntotal, len(allowed)))
    if k <= 0:
        return []
    sel = faiss.IDSelectorBatch(allowed) if allowed is not None else None
    ivf = faiss.try_extract_index_ivf(index)
    inner = faiss.downcast_index(index.index) if isinstance(index, faiss.IndexIDMap) else index
    if ivf is not None:
        params = faiss.SearchParametersIVF(sel=sel, nprobe=ivf_nprobe(ivf.nlist))
    elif isinstance(inner, faiss.IndexHNSW):
        params = faiss.SearchParametersHNSW(sel=sel, efSearch=max(64, 2 * k))
    else:
        params = faiss.SearchParameters(sel=sel)
    scores, ids = index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k, params=params)
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]


def save(index: faiss.Index, path: Path, generation: int) -> None:
    """Write atomically: temp file in the same directory, fsync, ``os.replace``."""
    data = faiss.serialize_index(index)
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    with tmp.open("wb") as f:
        f.write(_HEADER.pack(MAGIC, generation))
        f.write(memoryview(data))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load(path: Path) -> tuple[faiss.Index, int] | None:
    """(index, generation) from ``path``; None when the file is missing or not ours."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if len(data) < _HEADER.size:
        return None
    magic, generation = _HEADER.unpack_from(data)
    if magic != MAGIC:
        return None
    try:
        return faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8, offset=_HEADER.size)), generation
    except RuntimeError:
        return None
