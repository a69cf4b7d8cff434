"""The OpenAI-compatible server: `create_app(ServerConfig(...))` wires the routes, the job service, an optional
API key and request size limits; `run(config, host, port)` serves it with uvicorn.

    from agentlm.serve.app import ServerConfig, background, create_app, run
    run(ServerConfig(api_key="secret", data_dir="runs/service"), host="127.0.0.1", port=8000)
    with background(create_app(ServerConfig())) as base_url:   # in a thread, e.g. in a notebook or a test
        OpenAI(base_url=f"{base_url}/v1", api_key="-").models.list()

Routes: `GET /v1/models[/{id}]`, `POST /v1/chat/completions`, `POST /v1/embeddings`, `POST /v1/agent/runs`,
the Files and Fine-tuning routes (`agentlm.serve.fine_tuning`), and `GET /health` (no key needed).
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agentlm.serve import agent_runs, chat, embeddings, fine_tuning, models
from agentlm.serve.errors import error_response, install_error_handlers
from agentlm.train.jobs import JobService

MB = 1024 * 1024


@dataclass
class ServerConfig:
    """What `agentlm serve` sets: models ({id: spec}; None: the shipped model), key, data dir, limits."""

    models: dict[str, str] | None = None
    api_key: str | None = None
    data_dir: Path = Path("runs/service")
    index: str | None = None               # default index of /v1/agent/runs
    max_request_bytes: int = 4 * MB        # JSON requests (chat, embeddings, jobs)
    max_file_bytes: int = 512 * MB         # uploads to /v1/files
    train_threads: int | None = None       # CPU threads per training job (None: all cores but one)
    run_jobs: bool = True                  # run the fine-tuning queue in this process
    specs: dict[str, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        self.specs = self.models or models.parse_model_specs(None)


def create_app(config: ServerConfig | None = None) -> FastAPI:
    """The FastAPI app; the job queue starts and stops with the app's lifespan."""
    config = config or ServerConfig()
    jobs = JobService(config.data_dir, models=models.local_model_paths(config.specs),
                      train_threads=config.train_threads)
    registry = models.ModelRegistry(config.specs, jobs)
    agents = agent_runs.AgentPool(registry, config.data_dir, config.index)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if config.run_jobs:
            await asyncio.to_thread(jobs.start)
        yield
        await asyncio.to_thread(jobs.shutdown)
        agents.close()

    app = FastAPI(title="AgentLM", summary="OpenAI-compatible API over local models", lifespan=lifespan)
    app.state.config, app.state.jobs, app.state.registry, app.state.agents = config, jobs, registry, agents
    install_error_handlers(app)
    for module in (models, chat, embeddings, agent_runs, fine_tuning):
        app.include_router(module.router)
    app.include_router(fine_tuning.upload_router)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(Guard, config=config)
    return app


class BodyTooLarge(HTTPException):
    """A request body over its route's limit (raised while the body is read, so FastAPI answers 413)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(413, f"Request body too large: {size:,} bytes or more; this route accepts at most {limit:,}")


class Guard:
    """The API key (Bearer) on every route but /health, and the body size limit of each route (413 above it):
    uploads to /v1/files may be up to `max_file_bytes`, every other request `max_request_bytes`."""

    def __init__(self, app: ASGIApp, config: ServerConfig) -> None:
        self.app, self.config = app, config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/health":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        response, limit = None, self._limit(scope)
        if self.config.api_key and not _key_matches(headers.get("authorization", ""), self.config.api_key):
            given = "Incorrect API key provided" if headers.get("authorization") else "No API key provided"
            response = error_response(401, f"{given}: send 'Authorization: Bearer KEY' with the key the server "
                                      "was started with (--api-key or AGENTLM_API_KEY).", code="invalid_api_key",
                                      headers={"WWW-Authenticate": "Bearer"})
        elif (length := headers.get("content-length", "")).isdigit() and int(length) > limit:
            response = error_response(413, BodyTooLarge(int(length), limit).detail, code="request_too_large")
        if response is not None:
            return await response(scope, receive, send)
        received = 0

        async def counted() -> Message:  # a body sent without Content-Length is counted as it arrives
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(received, limit)
            return message

        await self.app(scope, counted, send)

    def _limit(self, scope: Scope) -> int:
        upload = scope["method"] == "POST" and scope["path"].rstrip("/") == "/v1/files"
        return self.config.max_file_bytes if upload else self.config.max_request_bytes


def _key_matches(header: str, key: str) -> bool:
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(given.strip().encode(), key.encode())


def run(config: ServerConfig, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info") -> None:
    """Serve until interrupted (Ctrl-C stops the queue; a running job resumes at the next start)."""
    import uvicorn

    uvicorn.run(create_app(config), host=host, port=port, log_level=log_level)


@contextmanager
def background(app: FastAPI, host: str = "127.0.0.1", port: int = 0, timeout: float = 60.0) -> Iterator[str]:
    """Serve `app` (lifespan included) from a background thread; yield its base URL (port 0: a free port)."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="agentlm-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()
