"""The BERT forward pass of :mod:`agents.embeddings.numpy_bert` in torch, with
the matrix products in bfloat16, for bulk work on a CPU that multiplies
bfloat16 natively (AVX512-BF16 or AMX).

There a product in bfloat16 costs half of one in float32, and MiniLM is mostly
products: the same chat turns embed at about twice the numpy rate. It reads
the weights and the tokenizer :class:`NumpyMiniLM` loaded, and imports torch
alone (about a second), not transformers and sentence-transformers (about five
more). The residual stream, layer norms, softmax and pooling stay in float32;
the vectors are within cosine 0.999 of numpy's float32 ones, so rows embedded
in bulk and queries embedded in numpy compare as before.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from agents.embeddings.numpy_bert import F32, NumpyMiniLM, _Layer, length_batches


class TorchMiniLM:
    """A :class:`NumpyMiniLM`'s model run by torch with bfloat16 products."""

    def __init__(self, base: NumpyMiniLM) -> None:
        import torch

        self._torch = torch
        self.base = base
        self.dim = base.dim

        def bf16(a: Any) -> Any:
            return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)).to(torch.bfloat16)

        def f32(a: Any) -> Any:
            return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))

        def layer(w: _Layer) -> dict[str, Any]:
            return {
                "qkv": bf16(w.qkv),
                "qkv_bias": bf16(w.qkv_bias),
                "out": bf16(w.out),
                "out_bias": f32(w.out_bias),
                "ln1": (f32(w.ln1[0]), f32(w.ln1[1])),
                "up": bf16(w.up),
                "up_bias": f32(w.up_bias),
                "down": bf16(w.down),
                "down_bias": f32(w.down_bias),
                "ln2": (f32(w.ln2[0]), f32(w.ln2[1])),
            }

        self.layers = [layer(w) for w in base.layers]
        self.embedding_ln = (f32(base.embedding_ln[0]), f32(base.embedding_ln[1]))

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> F32:
        """One L2-normalised float32 row per text, in the order given."""
        ids = self.base.token_ids(texts)
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        with self._torch.inference_mode():
            for chunk in length_batches(ids, batch_size):
                out[chunk] = self._encode_batch([ids[j] for j in chunk])
        return out

    def _encode_batch(self, batch: list[list[int]]) -> F32:
        torch = self._torch
        functional = torch.nn.functional
        base = self.base
        mask, embedded = base.embedded(batch)
        rows, length = mask.shape
        x = torch.from_numpy(np.ascontiguousarray(embedded, dtype=np.float32))
        x = x.reshape(rows * length, self.dim)
        x = functional.layer_norm(x, (self.dim,), *self.embedding_ln, base.eps)
        keep = torch.from_numpy(mask).bool()[:, None, None, :]  # padding is never attended
        heads, width = base.heads, self.dim // base.heads
        scale = 1 / math.sqrt(width)
        for w in self.layers:
            qkv = torch.addmm(w["qkv_bias"], x.to(torch.bfloat16), w["qkv"])
            q, k, v = qkv.view(rows, length, 3, heads, width).permute(2, 0, 3, 1, 4)
            context = functional.scaled_dot_product_attention(q, k, v, attn_mask=keep, scale=scale)
            context = context.transpose(1, 2).reshape(rows * length, self.dim)
            attended = (context @ w["out"]).float() + w["out_bias"] + x
            x = functional.layer_norm(attended, (self.dim,), *w["ln1"], base.eps)
            hidden = (x.to(torch.bfloat16) @ w["up"]).float() + w["up_bias"]
            down = (functional.gelu(hidden).to(torch.bfloat16) @ w["down"]).float()
            x = functional.layer_norm(down + w["down_bias"] + x, (self.dim,), *w["ln2"], base.eps)
        hidden = x.reshape(rows, length, self.dim)
        weights = torch.from_numpy(mask)
        pooled = (hidden * weights[:, :, None]).sum(dim=1) / weights.sum(dim=1, keepdim=True).clamp(
            min=1e-9
        )
        pooled = functional.normalize(pooled, dim=1)
        result: F32 = pooled.numpy().astype(np.float32, copy=False)
        return result
