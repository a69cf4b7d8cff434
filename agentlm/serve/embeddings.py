"""`POST /v1/embeddings`: all-MiniLM-L6-v2 sentence embeddings (384 dimensions, unit length), float or base64."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from agentlm.serve.errors import APIError, model_not_found
from agentlm.serve.models import EMBEDDING_IDS

router = APIRouter()
MAX_INPUTS = 2048


class EmbeddingRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str
    input: Any
    encoding_format: str | None = "float"
    dimensions: int | None = Field(None, ge=1)


@router.post("/v1/embeddings")
def create_embeddings(body: EmbeddingRequest) -> dict[str, Any]:
    if body.model not in EMBEDDING_IDS:
        raise model_not_found(body.model)
    texts = _texts(body.input)
    if body.encoding_format not in (None, "float", "base64"):
        raise APIError(400, "encoding_format must be 'float' or 'base64'", "encoding_format", "invalid_value")
    from agentlm.retrieval.embeddings import load_embedder

    embedder = load_embedder(body.model)
    if body.dimensions not in (None, embedder.dim):
        raise APIError(400, f"{body.model} has {embedder.dim} dimensions; it cannot return {body.dimensions}",
                       "dimensions", "invalid_value")
    vectors = embedder.encode(texts)
    tokens = sum(len(ids) for ids in embedder.model.tokenizer(texts)["input_ids"])
    data = [{"object": "embedding", "index": i, "embedding": _encode(v, body.encoding_format)}
            for i, v in enumerate(vectors)]
    return {"object": "list", "data": data, "model": body.model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


def _texts(value: Any) -> list[str]:
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not texts:
        raise APIError(400, "input must be a non-empty string or a non-empty list of strings", "input", "invalid_value")
    if not all(isinstance(t, str) for t in texts):
        raise APIError(400, "input must be text: token arrays are not supported", "input", "invalid_value")
    if any(not t for t in texts):
        raise APIError(400, "input must not contain empty strings", "input", "invalid_value")
    if len(texts) > MAX_INPUTS:
        raise APIError(400, f"input holds {len(texts)} texts; at most {MAX_INPUTS} per request", "input")
    return texts


def _encode(vector: np.ndarray, encoding: str | None) -> list[float] | str:
    if encoding == "base64":
        return base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")
    return vector.tolist()
