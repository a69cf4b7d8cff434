"""Grounded question answering: answer from numbered passages with a citation, or say the sources lack the answer.

Sub-families:
- `grounded_qa`: passages `[1] ...` in the user (or system) message; the reply is exactly `{answer} [{n}]`;
- `grounded_unanswerable`: the passages miss the asked attribute or the asked entity; the reply is exactly
  `NOT_IN_SOURCES[lang]`;
- `grounded_tool`: the assistant calls `search_knowledge_base`, reads the returned passages, answers `{answer} [{n}]`.

Distractor passages describe other invented entities of the same kind with the same attribute, so the model
has to match the entity, not just the attribute. `set_real_passages` optionally mixes in real English text.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

from agentlm.data.synth import facts
from agentlm.data.synth.base import NOT_IN_SOURCES, Example, call_id, split_share, tool_call
from agentlm.data.synth.tool_specs import builtin_tools

SEARCH_TOOL = "search_knowledge_base"

# Budgets (characters) for all passages of one example, so examples stay under ~350 tokens.
_BUDGET = {"en": 760, "zh": 300}
_TOOL_BUDGET = {"en": 420, "zh": 170}
_TOOL_MAX_CHARS = {"en": 1050, "zh": 600}  # `facts.rough_chars` of a whole grounded_tool example

_REAL: dict[str, list[str]] = {"train": [], "test": []}


def set_real_passages(passages: list[str]) -> None:
    """Let English examples use real passages (e.g. encyclopedia paragraphs) as extra distractors."""
    cleaned = [_trim(p) for p in passages]
    cleaned = [p for p in cleaned if len(p) >= 60]
    for split in _REAL:
        _REAL[split] = split_share(cleaned, split)


def _trim(text: str, limit: int = 300) -> str:
    """Collapse whitespace and cut a passage at a sentence (or word) boundary under `limit` characters."""
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = cut.rfind(". ")
    return cut[: end + 1] if end > limit // 3 else cut[: cut.rfind(" ")] + "..."


# ---------------------------------------------------------------- templates ({sources}, {question})

_USER_TEMPLATES = {
    "en": (
        "Answer the question using only the sources below. Cite the source you used.\n\n{sources}\n\n"
        "Question: {question}",
        "Sources:\n{sources}\n\nQ: {question}",
        "{sources}\n\nBased on the passages above: {question}",
        "Read these passages and answer with a citation.\n{sources}\n\n{question}",
        "Question: {question}\n\nContext:\n{sources}",
        "Use the documents to answer. If the answer is not there, say so.\n\n{sources}\n\n{question}",
        "Here are some notes:\n{sources}\n\nAccording to the notes: {question}",
        "{question}\nAnswer from these passages only:\n{sources}",
        "Context passages:\n{sources}\n\nUsing the context, answer: {question}",
        "I found these snippets:\n{sources}\n\n{question} Please cite the snippet.",
        "Documents:\n{sources}\n\nQuery: {question}",
        "Please answer briefly and cite your source.\n\n{sources}\n\n{question}",
        "Given the following excerpts, answer the question.\n{sources}\nQuestion: {question}",
        "{sources}\n\nFrom the text above, answer: {question}",
        "Look at the passages and tell me: {question}\n\n{sources}",
        "Reference material:\n{sources}\n\nMy question: {question}",
        "Only use what the sources say.\n{sources}\n\n{question}",
        "Search results:\n{sources}\n\nWith these results, answer: {question}",
        "Passages:\n{sources}\n\nQuestion: {question}\nGive a short answer with its source number.",
        "Can you answer this from the excerpts below? {question}\n\n{sources}",
        "Background reading:\n{sources}\n\n{question} Answer with the passage number.",
        "Check the sources and answer.\n\n{sources}\n\nQuestion: {question}",
        "Here is what our wiki says:\n{sources}\n\n{question}",
        "Extracts:\n{sources}\n\nBased only on the extracts, {question}",
    ),
    "zh": (
        "请只根据下面的资料回答问题，并注明出处。\n\n{sources}\n\n问题：{question}",
        "资料：\n{sources}\n\n问：{question}",
        "{sources}\n\n根据以上段落回答：{question}",
        "阅读下列段落并回答，注明引用编号。\n{sources}\n\n{question}",
        "问题：{question}\n\n参考资料：\n{sources}",
        "请用下面的文档回答，如果文档里没有答案就直说。\n\n{sources}\n\n{question}",
        "这里有一些笔记：\n{sources}\n\n根据笔记，{question}",
        "{question}\n只能依据以下段落作答：\n{sources}",
        "上下文：\n{sources}\n\n请结合上下文回答：{question}",
        "我找到了这些片段：\n{sources}\n\n{question}请注明片段编号。",
        "文档：\n{sources}\n\n查询：{question}",
        "请简短回答并注明来源。\n\n{sources}\n\n{question}",
        "下面是几段摘录：\n{sources}\n请问：{question}",
        "检索结果：\n{sources}\n\n根据这些结果回答：{question}",
    ),
}

_SYSTEM_TEMPLATES = {
    "en": (
        "Answer questions using only these sources and cite them.\n{sources}",
        "You are a careful assistant. Sources:\n{sources}",
        "Knowledge for this conversation:\n{sources}",
        "Documents you may use:\n{sources}\nAnswer with the source number.",
        "Use the following passages to answer the user.\n{sources}",
        "Retrieved context:\n{sources}",
    ),
    "zh": (
        "只能根据以下资料回答问题，并注明出处。\n{sources}",
        "你是一个严谨的助手。资料如下：\n{sources}",
        "本次对话可用的知识：\n{sources}",
        "可参考的文档：\n{sources}\n回答时请注明编号。",
        "检索到的上下文：\n{sources}",
    ),
}

_QUESTION_ONLY = {
    "en": ("{question}", "Question: {question}", "{question} Cite the source.", "Quick question: {question}",
           "Based on the sources: {question}", "{question} (answer from the documents)"),
    "zh": ("{question}", "问题：{question}", "{question}请注明出处。", "根据资料回答：{question}",
           "想问一下：{question}"),
}

_TOOL_TEMPLATES = {
    "en": (
        "{question}", "Search the knowledge base and tell me: {question}",
        "{question} Please check the knowledge base.",
        "Using our docs, answer this: {question}", "Can you look this up? {question}",
        "Look it up in the knowledge base: {question}", "{question} Use the search tool.",
        "I need a sourced answer: {question}", "Check the document index. {question}",
        "According to our knowledge base, {question}", "Please find out: {question}",
        "Quick lookup, please. {question}", "{question} Cite where you found it.",
        "Search for this: {question}", "Could you search the docs? {question}",
        "From the internal wiki: {question}", "{question} I think it's in our knowledge base.",
        "Help me find this in the knowledge base: {question}", "Research question: {question}",
        "Find the answer in the document index, please. {question}", "Hey, {question} Look it up first.",
    ),
    "zh": (
        "{question}", "请在知识库里查一下：{question}", "{question}请查一下知识库。", "用我们的文档回答：{question}",
        "能帮我查查吗？{question}", "去知识库搜索一下：{question}", "{question}请用搜索工具。",
        "我需要有出处的回答：{question}", "查一下文档索引。{question}", "根据我们的知识库，{question}",
        "请帮我查明：{question}", "{question}请注明出处。", "帮我在知识库里找找：{question}",
    ),
}


def template_counts() -> dict[str, dict[str, int]]:
    """Template counts per sub-family and language (wrappers; question templates are in `facts`)."""
    q = facts.template_counts()
    return {
        "grounded_qa": {lang: len(_USER_TEMPLATES[lang]) + len(_SYSTEM_TEMPLATES[lang]) + len(_QUESTION_ONLY[lang])
                        + q[lang] for lang in ("en", "zh")},
        "grounded_tool": {lang: len(_TOOL_TEMPLATES[lang]) + q[lang] for lang in ("en", "zh")},
    }


def _pick(rng: random.Random, pool: dict[str, tuple[str, ...]], split: str, lang: str) -> str:
    return rng.choice(facts.share(pool[lang], split))


# ---------------------------------------------------------------- scenarios


def _scenario(rng: random.Random, split: str, lang: str, mode: str, budget: int) -> dict[str, Any]:
    """Passages and a question. `mode` is "answerable", "missing_attr" or "missing_entity"."""
    kind, attr = rng.choice(facts.askable(split, lang))
    count = rng.randint(2, 5)
    entities = facts.make_entities(rng, kind, split, lang, count + 1)
    target, others, spare = entities[0], entities[1:count], entities[count]
    for e in others:  # distractor values must differ from the answer
        while e.values[attr] == target.values[attr]:
            e.values[attr] = facts.random_value(rng, kind, attr, split, lang)
    extra = [a for a in facts.ATTRIBUTES[kind] if a != attr]

    def about(entity: facts.Entity, with_attr: bool) -> str:
        chosen = rng.sample(extra, rng.randint(0 if with_attr else 1, min(2, len(extra))))
        return facts.passage(rng, entity, chosen + ([attr] if with_attr else []), lang)

    items = [(target, about(target, mode != "missing_attr"))]
    items += [(e, about(e, True)) for e in others]
    # keep within budget: drop distractors from the end, but keep at least two passages
    while len(items) > 2 and sum(len(t) for _, t in items) > budget:
        items.pop()
    real = _REAL.get(split, [])
    if lang == "en" and real and rng.random() < 0.35:
        text = rng.choice(real)
        if len(items) >= 3 and sum(len(t) for _, t in items) + len(text) > budget:
            items.pop()
        items.append((None, text))
    rng.shuffle(items)
    asked = spare if mode == "missing_entity" else target
    number = {id(e): i + 1 for i, (e, _) in enumerate(items) if e is not None}
    distractors = [{"answer": e.values[attr], "citation": number[id(e)]} for e, _ in items
                   if e is not None and e is not target]
    return {
        "kind": kind, "attribute": attr, "entity": asked.name, "passages": [t for _, t in items],
        "answer": target.values[attr], "citation": number[id(target)], "entity_citation": number.get(id(asked)),
        "distractor_answers": distractors,
        "question": facts.question(rng, kind, attr, asked.name, split, lang),
        "query": facts.query(attr, asked.name, lang),
    }


def _numbered(passages: list[str]) -> str:
    return "\n".join(f"[{i}] {p}" for i, p in enumerate(passages, 1))


def _context_messages(rng: random.Random, scenario: dict[str, Any], split: str, lang: str) -> tuple[list, str]:
    """The system/user messages holding passages and question, and the layout name."""
    sources = _numbered(scenario["passages"])
    if rng.random() < 0.25:
        system = _pick(rng, _SYSTEM_TEMPLATES, split, lang).format(sources=sources)
        user = _pick(rng, _QUESTION_ONLY, split, lang).format(question=scenario["question"])
        return [{"role": "system", "content": system}, {"role": "user", "content": user}], "system"
    user = _pick(rng, _USER_TEMPLATES, split, lang).format(sources=sources, question=scenario["question"])
    return [{"role": "user", "content": user}], "user"


def _meta(scenario: dict[str, Any], answerable: bool) -> dict[str, Any]:
    keys = ("kind", "attribute", "entity", "distractor_answers")
    meta = {k: scenario[k] for k in keys}
    meta["num_passages"] = len(scenario["passages"])
    if answerable:
        meta.update(answer=scenario["answer"], citation=scenario["citation"], answerable=True)
    else:
        meta.update(answerable=False, entity_citation=scenario["entity_citation"])
    return meta


def make_grounded_qa(rng: random.Random, split: str, lang: str) -> Example:
    """Numbered passages and a question; the reply is `{answer} [{n}]`."""
    scenario = _scenario(rng, split, lang, "answerable", _BUDGET[lang])
    messages, layout = _context_messages(rng, scenario, split, lang)
    messages.append({"role": "assistant", "content": f"{scenario['answer']} [{scenario['citation']}]"})
    return Example(messages, "grounded_qa", lang, split, meta={**_meta(scenario, True), "layout": layout})


def make_grounded_unanswerable(rng: random.Random, split: str, lang: str) -> Example:
    """Passages that miss the asked attribute or entity; the reply is exactly NOT_IN_SOURCES."""
    reason = rng.choice(("missing_attr", "missing_entity"))
    scenario = _scenario(rng, split, lang, reason, _BUDGET[lang])
    messages, layout = _context_messages(rng, scenario, split, lang)
    messages.append({"role": "assistant", "content": NOT_IN_SOURCES[lang]})
    meta = {**_meta(scenario, False), "answer": NOT_IN_SOURCES[lang], "reason": reason, "layout": layout}
    return Example(messages, "grounded_unanswerable", lang, split, meta=meta)


def make_grounded_tool(rng: random.Random, split: str, lang: str) -> Example:
    """search_knowledge_base call, JSON passages back, then `{answer} [{n}]`."""
    for _ in range(50):  # redraw the rare examples that would be too long
        example = _grounded_tool(rng, split, lang)
        if facts.rough_chars(example.messages, example.tools) <= _TOOL_MAX_CHARS[lang]:
            break
    return example


def _grounded_tool(rng: random.Random, split: str, lang: str) -> Example:
    scenario = _scenario(rng, split, lang, "answerable", _TOOL_BUDGET[lang])
    schemas = builtin_tools(lang)
    others = [n for n in schemas if n != SEARCH_TOOL]
    names = [SEARCH_TOOL, *rng.sample(others, rng.randint(0, 1))]
    rng.shuffle(names)
    tools = [schemas[n] for n in names]
    arguments = {"query": scenario["query"]}
    cid = call_id(rng)
    result = [{"id": i, "text": t} for i, t in enumerate(scenario["passages"], 1)]
    messages = [
        {"role": "user", "content": _pick(rng, _TOOL_TEMPLATES, split, lang).format(question=scenario["question"])},
        {"role": "assistant", "content": "", "tool_calls": [tool_call(SEARCH_TOOL, arguments, cid)]},
        {"role": "tool", "tool_call_id": cid, "name": SEARCH_TOOL, "content": json.dumps(result, ensure_ascii=False)},
        {"role": "assistant", "content": f"{scenario['answer']} [{scenario['citation']}]"},
    ]
    meta = {**_meta(scenario, True), "tool": SEARCH_TOOL, "arguments": arguments}
    return Example(messages, "grounded_tool", lang, split, tools=tools, meta=meta)


GENERATORS = {
    "grounded_qa": make_grounded_qa,
    "grounded_unanswerable": make_grounded_unanswerable,
    "grounded_tool": make_grounded_tool,
}


# Share of answerable questions whose rejected reply is the abstention. Without it every abstention in the pairs is
# chosen, and DPO on them taught the shipped model to abstain on answerable questions too (post-training session 19).
ABSTAIN_REJECTED_SHARE = 0.25


def corrupt(example: Example, rng: random.Random) -> tuple[int, dict] | None:
    """A reply that ignores the context: a distractor's span, a wrong citation, "not in the sources" when it is
    there, or a guess instead of saying the sources lack the answer."""
    index = len(example.messages) - 1
    if example.messages[index]["role"] != "assistant":
        return None
    meta = example.meta
    distractors = meta.get("distractor_answers") or []
    if meta.get("answerable", True):
        if example.family == "grounded_qa" and rng.random() < ABSTAIN_REJECTED_SHARE:
            text = NOT_IN_SOURCES[example.lang]
        elif distractors and rng.random() < 0.6:
            d = rng.choice(distractors)
            text = f"{d['answer']} [{d['citation']}]"
        else:
            wrong = [n for n in range(1, meta["num_passages"] + 1) if n != meta["citation"]]
            text = f"{meta['answer']} [{rng.choice(wrong)}]"
    elif meta.get("reason") == "missing_entity" and distractors:
        d = rng.choice(distractors)
        text = f"{d['answer']} [{d['citation']}]"
    else:
        guess = facts.random_value(rng, meta["kind"], meta["attribute"], example.split, example.lang)
        cite = meta.get("entity_citation") or rng.randint(1, meta["num_passages"])
        text = f"{guess} [{cite}]"
    return index, {"role": "assistant", "content": text}
