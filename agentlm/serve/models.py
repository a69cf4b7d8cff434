"""The models a server offers: base chat models by id, fine-tuned models from the job service, the embedder;
and the `/v1/models` routes.

    registry = ModelRegistry(parse_model_specs(["models/agentlm-small", "tiny=runs/sft"]), jobs)
    registry.chat_model("agentlm-small")          # loaded on first use, then shared
    registry.chat_model("ft:agentlm-small:x:ftjob-…")
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from langchain_core.language_models import BaseChatModel

from agentlm.serve.errors import model_not_found
from agentlm.train.jobs import JobService, NotFoundError

EMBEDDING_MODEL = "all-MiniLM-L6-v2"
EMBEDDING_IDS = (EMBEDDING_MODEL, f"sentence-transformers/{EMBEDDING_MODEL}")
_ID = re.compile(r"^[\w.\-/]+$")

router = APIRouter()


def parse_model_specs(values: list[str] | None) -> dict[str, str]:
    """`--model` values ("SPEC" or "ID=SPEC") as {id: spec}; none gives the shipped model as "agentlm-small"."""
    from agentlm.runtime.models import DEFAULT_MODEL_DIR

    if not values:
        return {"agentlm-small": str(DEFAULT_MODEL_DIR)}
    specs: dict[str, str] = {}
    for value in values:
        name, sep, spec = value.partition("=")
        if not sep or "://" in name:
            name, spec = _default_id(value), value
        if not _ID.match(name):
            raise ValueError(f"model id {name!r} may hold only letters, digits, '.', '-', '_' and '/'")
        if name in specs:
            raise ValueError(f"model id {name!r} is given twice; name them with ID=SPEC")
        specs[name] = spec
    return specs


def _default_id(spec: str) -> str:
    if spec.startswith(("http://", "https://")):
        return spec.partition("#")[2] or "remote"
    path = Path(spec).expanduser()
    return path.stem if path.suffix == ".gguf" else (path.name or spec)


def local_model_paths(specs: dict[str, str]) -> dict[str, Path]:
    """The local weights behind each spec (fine-tuning needs them); servers given by URL are left out."""
    paths = {}
    for name, spec in specs.items():
        if spec.startswith(("http://", "https://")):
            continue
        if spec.lower() == "smollm2":
            from agentlm.model.loading import smollm2_gguf_path

            paths[name] = smollm2_gguf_path()
            continue
        path = Path(spec).expanduser()
        if not (path.is_file() and path.suffix == ".gguf") and not (path / "config.json").is_file():
            raise FileNotFoundError(f"model {name!r}: {path} is neither a model directory nor a .gguf file")
        paths[name] = path
    return paths


class ModelRegistry:
    """Chat models by id, loaded on first use: the base specs, then whatever `jobs` has fine-tuned."""

    def __init__(self, specs: dict[str, str], jobs: JobService) -> None:
        self.specs = dict(specs)
        self.jobs = jobs
        self._loaded: dict[str, BaseChatModel] = {}
        self._lock = threading.Lock()
        self._created = int(time.time())

    @property
    def default_id(self) -> str:
        return next(iter(self.specs))

    def chat_model(self, model_id: str) -> BaseChatModel:
        """The chat model for an id (404 model_not_found when there is none)."""
        from agentlm.runtime.models import load_chat_model

        with self._lock:
            if model_id in self._loaded:
                return self._loaded[model_id]
            if model_id in self.specs:
                spec = self.specs[model_id]
            else:
                try:
                    spec = str(self.jobs.model_path(model_id))
                except NotFoundError:
                    raise model_not_found(model_id) from None
            self._loaded[model_id] = load_chat_model(spec)
            return self._loaded[model_id]

    def model_objects(self) -> list[dict[str, Any]]:
        """What `/v1/models` lists: base chat models, fine-tuned models, the embedding model."""
        base = [{"id": name, "object": "model", "created": self._created, "owned_by": "agentlm"}
                for name in self.specs]
        embedder = {"id": EMBEDDING_MODEL, "object": "model", "created": self._created,
                    "owned_by": "sentence-transformers"}
        return [*base, *self.jobs.fine_tuned_models(), embedder]


@router.get("/v1/models")
def list_models(request: Request) -> dict[str, Any]:
    return {"object": "list", "data": request.app.state.registry.model_objects()}


@router.get("/v1/models/{model_id:path}")
def retrieve_model(model_id: str, request: Request) -> dict[str, Any]:
    for model in request.app.state.registry.model_objects():
        if model["id"] == model_id:
            return model
    raise model_not_found(model_id)
