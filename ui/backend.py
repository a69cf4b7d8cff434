"""What the chat tab does, over the public Python API: one model, an `Agent` per index, threads, uploads.

    backend = Backend(model=None, index="demo", data_dir="runs/ui")
    for messages in backend.chat("What is (82 + 30) * 25?", thread_id=backend.new_thread()):
        ...                                   # gr.ChatMessage lists, growing as the agent streams

Every agent shares the loaded model and one SQLite checkpoint file (`DATA_DIR/threads.sqlite`), so threads
survive restarts whichever index they used. Uploaded files are copied to `DATA_DIR/uploads/INDEX/` and
added with `open_index(name, create=True).add(...)`.
"""

from __future__ import annotations

import logging
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from agentlm.agent import STRATEGY_CHOICES, Agent
from agentlm.retrieval import list_indexes, open_index

from .events import TurnView, history_messages, thought

log = logging.getLogger(__name__)
REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_INDEX = "demo"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def demo_sources(root: Path = REPO_ROOT) -> list[Path]:
    """What the demo index holds: the repo's README.md and docs/."""
    return [p for p in (root / "README.md", root / "docs") if p.exists()]


def ensure_demo_index(name: str = DEMO_INDEX, say: Callable[[str], None] = print) -> bool:
    """Build the demo index from README.md and docs/ unless it exists; True when it was built."""
    if any(i["name"] == name for i in list_indexes()):
        return False
    sources = demo_sources()
    if not sources:
        say(f"no README.md or docs/ next to the package: the {name!r} index is not built")
        return False
    say(f"building the {name!r} index from {', '.join(str(p) for p in sources)} (first start only) …")
    with open_index(name, create=True) as index:
        report = index.add(sources)
    say(report.summary())
    return True


def check_index_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME_RE.match(name):
        raise ValueError(f"index name {name!r}: use letters, digits, '-', '_' or '.' (at most 64)")
    return name


class Backend:
    """The model, agents per index, threads and indexes behind the app."""

    def __init__(self, model: Any = None, *, index: str | None = DEMO_INDEX, data_dir: str | Path = "runs/ui",
                 tools_dirs: Iterable[str | Path] = (), max_steps: int = 6) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.checkpoint_db = self.data_dir / "threads.sqlite"
        self.model_spec = model
        self.tools_dirs = tuple(tools_dirs)
        self.max_steps = max_steps
        self._lock = threading.Lock()
        self._agents: dict[str, Agent] = {}
        self._model_agents: dict[str, Agent] = {}  # other models (fine-tuned ones), in-memory threads
        self.base = self.agent("")  # loads the model once; every other agent shares it
        self.default_index = index or ""
        if self.default_index:
            self.agent(self.default_index)  # fail at start, not on the first question, if it cannot be opened

    # -- agents ------------------------------------------------------------------------------------------
    def agent(self, index: str = "") -> Agent:
        """The agent answering from `index` ("" for none), created on first use."""
        with self._lock:
            if index not in self._agents:
                model = self._agents[""].model if "" in self._agents else self.model_spec
                self._agents[index] = Agent(model, tools_dirs=self.tools_dirs, index=index or None,
                                            max_steps=self.max_steps, checkpoint_db=self.checkpoint_db)
            return self._agents[index]

    def model_agent(self, model: str | Path) -> Agent:
        """An agent on another model (e.g. a fine-tuned one) with the same tools and no index."""
        key = str(model)
        with self._lock:
            if key not in self._model_agents:
                self._model_agents[key] = Agent(key, tools_dirs=self.tools_dirs, max_steps=self.max_steps)
            return self._model_agents[key]

    @property
    def model_name(self) -> str:
        model = self.base.model
        return str(getattr(model, "model_path", None) or getattr(model, "model", None) or type(model).__name__)

    def tool_names(self) -> list[str]:
        return self.base.tools.names() if self.base.tools is not None else []

    @staticmethod
    def strategies() -> list[str]:
        return list(STRATEGY_CHOICES)

    # -- indexes -----------------------------------------------------------------------------------------
    @staticmethod
    def indexes() -> list[dict[str, Any]]:
        return list_indexes()

    def index_names(self) -> list[str]:
        return [i["name"] for i in self.indexes()]

    def index_choices(self) -> list[tuple[str, str]]:
        """(label, name) pairs for a dropdown; "" is no index."""
        listed = [(f"{i['name']} ({i['documents']} docs, {i['chunks']} chunks)", i["name"]) for i in self.indexes()]
        extra = [(self.default_index, self.default_index)] if self.default_index not in {n for _, n in listed} else []
        return [("none", ""), *listed, *(e for e in extra if e[1])]

    def add_documents(self, index: str, paths: Iterable[str | Path]) -> str:
        """Copy the files under the data dir and add them to `index` (created if missing); the add report."""
        index = check_index_name(index)
        paths = [Path(p) for p in paths]
        if not paths:
            raise ValueError("choose one or more files to add")
        folder = self.data_dir / "uploads" / index
        folder.mkdir(parents=True, exist_ok=True)
        kept = []
        for path in paths:
            target = folder / path.name
            if path.resolve() != target.resolve():
                shutil.copyfile(path, target)
            kept.append(target)
        with open_index(index, create=True) as idx:
            report = idx.add(kept)
        return report.summary()

    # -- threads -----------------------------------------------------------------------------------------
    @staticmethod
    def new_thread() -> str:
        return uuid.uuid4().hex[:12]

    def threads(self) -> list[str]:
        return self.base.threads()

    def history(self, thread_id: str) -> list[dict[str, str]]:
        return self.base.history(thread_id) if thread_id else []

    def thread_choices(self, current: str | None = None) -> list[tuple[str, str]]:
        """(label, id) pairs, newest first: the first question names the thread; `current` is listed too."""
        ids = self.threads()
        if current and current not in ids:
            ids = [current, *ids]
        out = []
        for thread_id in ids:
            first = next((m["content"] for m in self.history(thread_id) if m["role"] == "user"), "new thread")
            label = first if len(first) <= 48 else first[:47] + "…"
            out.append((f"{label} · {thread_id[:6]}", thread_id))
        return out

    def thread_messages(self, thread_id: str) -> list[gr.ChatMessage]:
        return history_messages(self.history(thread_id))

    # -- chat --------------------------------------------------------------------------------------------
    def chat(self, question: str, *, thread_id: str, index: str = "", model: str | Path | None = None,
             strategy: str = "auto", samples: int = 5, temperature: float = 0.7, top_p: float = 0.95,
             max_steps: int | None = None, tools: Iterable[str] | None = None) -> Iterator[list[gr.ChatMessage]]:
        """Stream one turn: the growing list of this turn's messages (thoughts, then the answer).

        `model` answers with another model (its own agent, no index) instead of the app's model.
        """
        settings: dict[str, Any] = {"samples": int(samples), "temperature": float(temperature), "top_p": float(top_p),
                                    "max_steps": int(max_steps or self.max_steps)}
        view = TurnView()
        try:
            agent = self.agent(index or "") if model is None else self.model_agent(model)
            if tools is not None and agent.tools is not None:
                names = [n for n in tools if n in agent.tools]
                settings["tools"] = agent.tools.subset(names) if names else None
            for event in agent.stream(question, thread_id=thread_id, strategy=strategy, **settings):
                view.feed(event)
                yield view.messages()
        except Exception as exc:  # show the failure in the chat rather than a bare error toast
            log.exception("chat turn failed")
            view.items.append(thought("Error", f"{type(exc).__name__}: {exc}", log="the run failed"))
            yield view.messages()

    def close(self) -> None:
        with self._lock:
            for agent in [*self._agents.values(), *self._model_agents.values()]:
                agent.close()
            self._agents.clear()
            self._model_agents.clear()
