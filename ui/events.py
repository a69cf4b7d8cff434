"""Agent stream events -> Gradio chat messages: the answer, and every step of the trace as a collapsible thought.

    view = TurnView()
    for event in agent.stream(question):
        view.feed(event)
        yield view.messages()

Tokens stream into a plain message; when it turns out not to be the answer (a model turn before a tool
call, a plan, a draft, a chain of thought) it becomes a thought titled after its node. Tool calls,
retrieval, reasoning paths under their vote tally, and plans with their steps nested under them are
thoughts too (`metadata` title, status "pending"/"done", duration). The answer ends with a sources block
where each [n] links to a collapsible holding the cited chunk and its document.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from pathlib import Path
from typing import Any

import gradio as gr

CITE_RE = re.compile(r"\[(\d+)\]")
NODE_TITLES = {
    "agent": "Model turn", "plan": "Plan", "draft": "Draft", "critique": "Critique",
    "cot": "Chain of thought", "few_shot_cot": "Chain of thought", "direct": "Reply",
    "few_shot": "Reply", "grounded_answer": "Grounded draft",
}


def thought(title: str, content: str = "", *, status: str | None = "done", log: str | None = None,
            duration: float | None = None, id: str | None = None, parent_id: str | None = None) -> gr.ChatMessage:
    """A collapsible assistant message (Gradio's "thought")."""
    meta: dict[str, Any] = {"title": title}
    for key, value in (("status", status), ("log", log), ("id", id), ("parent_id", parent_id)):
        if value is not None:
            meta[key] = value
    if duration is not None and float(duration) >= 0.01:  # sub-10 ms tool runs would read "0s"
        meta["duration"] = round(float(duration), 2)
    return gr.ChatMessage(role="assistant", content=content, metadata=meta)


def code_block(value: Any) -> str:
    """A fenced block: JSON objects and lists pretty-printed, any other text as it is."""
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict | list):
            return f"```\n{value}\n```"
        value = parsed
    return f"```json\n{json.dumps(value, ensure_ascii=False, indent=2)}\n```"


def doc_name(doc: Any) -> str:
    """A document's file name (sources carry full paths)."""
    return Path(str(doc)).name if doc else "?"


def _plain(text: str) -> str:
    """Text without citations and whitespace, to compare a streamed reply with the final answer."""
    return " ".join(re.sub(r"\s*\[\d+\]", "", text or "").split())


def source_anchor(turn_id: str, n: int | str) -> str:
    return f"src-{turn_id}-{n}"


def link_citations(answer: str, sources: list[dict[str, Any]], turn_id: str) -> str:
    """Each [n] that names a source becomes a link to that source's collapsible."""
    known = {str(s.get("id")) for s in sources}

    def link(m: re.Match[str]) -> str:
        n = m.group(1)
        if n not in known:
            return m.group(0)
        return f'<a class="agentlm-cite" href="#{source_anchor(turn_id, n)}">[{n}]</a>'

    return CITE_RE.sub(link, answer)


def sources_block(sources: list[dict[str, Any]], turn_id: str, cited: set[str] | None = None) -> str:
    """Markdown+HTML: one collapsible per source, its summary naming [n], the document, section and score."""
    cited = cited or set()
    parts = ["**Sources**"]
    for s in sources:
        n = str(s.get("id"))
        where = [f"<b>[{n}]</b> {html.escape(doc_name(s.get('doc')))}"]
        if s.get("title"):
            where.append(f"— {html.escape(str(s['title']))}")
        if s.get("chunk") is not None:
            where.append(f"· chunk {s['chunk']}")
        if s.get("score") is not None:
            where.append(f"· score {float(s['score']):.3f}")
        if n in cited:
            where.append("· cited")
        # No raw newlines inside the HTML block: a blank line would end it and leave the rest as markdown.
        text = html.escape(str(s.get("text", ""))).replace("\n", "&#10;")
        parts.append(f'<details class="agentlm-source" id="{source_anchor(turn_id, n)}">'
                     f'<summary>{" ".join(where)}</summary>'
                     f'<div class="agentlm-source-doc">{html.escape(str(s.get("doc", "")))}</div>'
                     f'<pre class="agentlm-source-text">{text}</pre></details>')
    return "\n\n".join(parts)


def render_answer(answer: str, sources: list[dict[str, Any]], turn_id: str) -> str:
    """The answer with linked citations, followed by its sources block (when it has sources)."""
    if not sources:
        return answer
    cited = set(CITE_RE.findall(answer))
    return f"{link_citations(answer, sources, turn_id)}\n\n{sources_block(sources, turn_id, cited)}"


def _as_dict(result: Any) -> dict[str, Any]:
    return result.to_dict() if hasattr(result, "to_dict") else dict(result)


class TurnView:
    """The chat messages of one agent turn, built event by event."""

    def __init__(self, turn_id: str | None = None) -> None:
        self.turn_id = turn_id or uuid.uuid4().hex[:8]
        self.items: list[gr.ChatMessage] = []
        self.live: gr.ChatMessage | None = None  # the message tokens stream into
        self.live_node: str | None = None
        self.live_closed = False  # its node has finished: the text is a thought unless it is the answer
        self.parent: str | None = None  # thoughts nest under the plan while one runs
        self.vote: gr.ChatMessage | None = None
        self.answer: gr.ChatMessage | None = None
        self.answer_text = ""
        self.sources: list[dict[str, Any]] = []
        self._ids = 0

    # -- helpers -----------------------------------------------------------------------------------------
    def _id(self, kind: str) -> str:
        self._ids += 1
        return f"{self.turn_id}-{kind}-{self._ids}"

    def _add(self, message: gr.ChatMessage) -> gr.ChatMessage:
        self.items.append(message)
        return message

    def _settle(self, title: str | None = None) -> gr.ChatMessage | None:
        """Turn the streamed text into a thought (it was not the answer)."""
        live, self.live = self.live, None
        if live is None:
            return None
        if not str(live.content).strip():
            self.items.remove(live)
            return None
        live.metadata = {"title": title or NODE_TITLES.get(self.live_node or "", f"Model ({self.live_node})"),
                         "status": "done"}
        if self.parent:
            live.metadata["parent_id"] = self.parent
        return live

    def messages(self) -> list[gr.ChatMessage]:
        return list(self.items)

    # -- events ------------------------------------------------------------------------------------------
    def feed(self, event: dict[str, Any]) -> None:
        """Update the messages with one stream event (unknown types are ignored)."""
        handler = getattr(self, f"_on_{event.get('type')}", None)
        if handler is not None:
            handler(event)

    def _on_route(self, e: dict[str, Any]) -> None:
        asked = e.get("requested", "auto")
        content = f"**{e.get('strategy')}** — {e.get('reason') or 'requested'}"
        if asked == "auto":
            content = f"`auto` picked {content}"
        self._add(thought(f"Strategy: {e.get('strategy')}", content, log=e.get("reason") or None))

    def _on_token(self, e: dict[str, Any]) -> None:
        node = e.get("node")
        if self.live is not None and (self.live_closed or self.live_node != node):
            self._settle()
        if self.live is None:
            self.live = self._add(gr.ChatMessage(role="assistant", content=""))
            self.live_node, self.live_closed = node, False
        self.live.content = str(self.live.content) + e.get("text", "")

    def _on_step(self, e: dict[str, Any]) -> None:
        node, update = e.get("node"), e.get("update") or {}
        if self.live is not None and self.live_node == node:
            self.live_closed = True
        if node == "plan":
            self._plan(update)
        elif node == "self_consistency" and update.get("votes"):
            self._votes(update["votes"])
        elif node == "replan" and update.get("next") == "agent":
            self._settle()
            self._add(thought("Replan", f"Plan check #{update.get('replans', '?')}: a step is left; "
                                           "continue with it.", parent_id=self.parent))

    def _plan(self, update: dict[str, Any]) -> None:
        items = update.get("plan") or []
        raw = str(self.live.content) if self.live is not None and self.live_node == "plan" else ""
        if self.live is not None and self.live_node != "plan":
            self._settle()
        plan_id = self._id("plan")
        content = "\n".join(f"{i}. {step}" for i, step in enumerate(items, 1)) if items else (raw or "(no steps)")
        message = self.live if raw else None
        self.live = None
        if message is None:
            message = self._add(gr.ChatMessage(role="assistant", content=content))
        message.content = content
        message.metadata = {"title": f"Plan ({len(items)} steps)", "status": "pending", "id": plan_id}
        self.parent = plan_id

    def _votes(self, votes: dict[str, Any]) -> None:
        self._settle()
        counts, shares = votes.get("counts") or {}, votes.get("shares") or {}
        winner = votes.get("winner")
        rows = ["| answer | votes | share |", "|---|---|---|"]
        for answer, count in sorted(counts.items(), key=lambda kv: -kv[1]):
            mark = f"**{answer}** ✓" if answer == winner else str(answer)
            rows.append(f"| {mark} | {count} | {float(shares.get(answer, 0)):.0%} |")
        log = f"{votes.get('paths', '?')} of {votes.get('samples', '?')} paths, {votes.get('rounds', 1)} round(s)"
        if votes.get("stopped_early"):
            log += ", stopped early"
        title = f"Vote: {winner} ({counts.get(winner, 0)}/{votes.get('paths', '?')})" if winner else "Vote"
        self.vote = self._add(thought(title, "\n".join(rows), log=log, id=self._id("vote"), parent_id=self.parent))

    def _on_tool_call(self, e: dict[str, Any]) -> None:
        self._settle()
        ok = e.get("ok", True)
        content = f"**Arguments**\n\n{code_block(e.get('arguments', {}))}\n\n**Result**\n\n" \
                  f"{code_block(e.get('result', ''))}"
        self._add(thought(f"Tool call: {e.get('name')}", content, log="ok" if ok else "failed",
                          duration=e.get("seconds"), parent_id=self.parent))

    def _on_tool_error(self, e: dict[str, Any]) -> None:
        self._settle()
        content = f"**Error**: {e.get('error')}\n\n**What the model wrote**\n\n{code_block(e.get('raw') or '')}"
        self._add(thought("Unreadable tool call", content, log="sent back to the model", parent_id=self.parent))

    def _on_sources(self, e: dict[str, Any]) -> None:
        self._settle()
        sources = e.get("sources") or []
        self.sources = list(sources)
        parent = self._id("retrieval")
        docs = sorted({doc_name(s.get("doc")) for s in sources})
        self._add(thought(f"Retrieval: {len(sources)} passages", ", ".join(docs) or "no passage matched",
                          log=", ".join(docs) or None, id=parent, parent_id=self.parent))
        for s in sources:
            title = f"[{s.get('id')}] {doc_name(s.get('doc'))}" + (f" — {s['title']}" if s.get("title") else "")
            self._add(thought(title, f"{s.get('text', '')}", log=f"chunk {s.get('chunk')} · score "
                              f"{float(s.get('score') or 0):.3f}", parent_id=parent))

    def _on_interrupt(self, e: dict[str, Any]) -> None:
        self._settle()
        calls = "\n".join(f"- `{c.get('name')}` {json.dumps(c.get('arguments'), ensure_ascii=False)}"
                          for c in e.get("tool_calls", []))
        self._add(thought("Waiting for approval", calls, status="pending"))

    def _on_answer(self, e: dict[str, Any]) -> None:
        answer = e.get("answer", "")
        live = self.live
        if live is not None and _plain(str(live.content)) == _plain(answer):
            self.live = None
            self.answer = live
        else:
            self._settle()
            self.answer = self._add(gr.ChatMessage(role="assistant", content=""))
        self.answer_text = answer
        self.answer.content = answer

    def _on_result(self, e: dict[str, Any]) -> None:
        r = _as_dict(e["result"])
        self._settle()
        paths = [s for s in r.get("steps", []) if s.get("type") == "path"]
        if paths and self.vote is None and r.get("votes"):
            self._votes(r["votes"])
        if paths and self.vote is not None:
            at = self.items.index(self.vote) + 1
            vote_id = self.vote.metadata["id"]
            for offset, p in enumerate(paths):
                title = f"Path {p.get('index')}: {p.get('answer') or '(no answer)'}"
                self.items.insert(at + offset, thought(title, str(p.get("content", "")), duration=p.get("seconds"),
                                                       log=f"round {p.get('round')}", parent_id=vote_id))
        if r.get("stopped"):
            self._add(thought("Stopped", f"The run ended early: {r['stopped']}.", log=str(r["stopped"])))
        if r.get("sources"):
            self.sources = list(r["sources"])
        if self.answer is None and r.get("answer"):
            self._on_answer({"answer": r["answer"]})
        if self.answer is not None:
            self.items.remove(self.answer)  # the answer always comes last, after every thought
            self.items.append(self.answer)
            self.answer.content = render_answer(self.answer_text, self.sources, self.turn_id)
        for message in self.items:
            meta = message.metadata or {}
            if meta.get("status") == "pending" and meta.get("title") != "Waiting for approval":
                meta["status"] = "done"
            if str(meta.get("id", "")).startswith(f"{self.turn_id}-plan"):
                meta["duration"] = round(float(r.get("seconds", 0)), 2)


def history_messages(history: list[dict[str, str]]) -> list[gr.ChatMessage]:
    """A saved thread (`Agent.history`) as chat messages; traces are not saved, only questions and answers."""
    return [gr.ChatMessage(role=m["role"], content=m["content"]) for m in history]
