"""The Perceiver that turns a token sequence into a fixed set of latents (DESIGN.md §5).

Each block: latents cross-attend to the context tokens, a GEGLU feed-forward, then one self-attention over the
latents and a feed-forward; pre-norm residuals throughout. One instance is used twice by the model (context
tokens, then patch features), so its weights are shared between the two uses.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cogaze.config import CogazeConfig


class Attention(nn.Module):
    """Multi-head attention of queries (B, L, D) over keys/values (B, T, D), optional key mask (B, T)."""

    def __init__(self, dim: int, num_heads: int, head_dim: int) -> None:
        super().__init__()
        self.num_heads, self.head_dim = num_heads, head_dim
        inner = num_heads * head_dim
        self.to_q = nn.Linear(dim, inner, bias=False)
        self.to_kv = nn.Linear(dim, 2 * inner, bias=False)
        self.to_out = nn.Linear(inner, dim)

    def forward(
        self,
        x: torch.Tensor,
        context: torch.Tensor,
        key_mask: torch.Tensor | None = None,
        return_weights: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Output (B, L, D) and, when asked, the weights (B, heads, L, T)."""
        b, n, _ = x.shape
        q = self.to_q(x).view(b, n, self.num_heads, self.head_dim).transpose(1, 2)  # (B, h, L, d)
        k, v = self.to_kv(context).chunk(2, dim=-1)
        k = k.view(b, -1, self.num_heads, self.head_dim).transpose(1, 2)  # (B, h, T, d)
        v = v.view(b, -1, self.num_heads, self.head_dim).transpose(1, 2)
        mask = None if key_mask is None else key_mask[:, None, None, :]  # (B, 1, 1, T), True = attend
        weights = None
        if return_weights:
            scores = (q @ k.transpose(-1, -2)) * self.head_dim**-0.5  # (B, h, L, T)
            if mask is not None:
                scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
            weights = scores.softmax(-1)
            out = weights @ v
        else:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        out = out.transpose(1, 2).reshape(b, n, -1)
        return self.to_out(out), weights


class GEGLUFeedForward(nn.Module):
    """LayerNorm -> Linear(D, 2 * mult * D) -> GELU-gated -> Linear(mult * D, D)."""

    def __init__(self, dim: int, mult: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.proj_in = nn.Linear(dim, 2 * mult * dim)
        self.proj_out = nn.Linear(mult * dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, gate = self.proj_in(self.norm(x)).chunk(2, dim=-1)
        return self.proj_out(a * F.gelu(gate))


class PerceiverBlock(nn.Module):
    """Cross-attention + GEGLU FF, then self-attention + FF, on latents (B, L, D)."""

    def __init__(self, dim: int, num_heads: int, head_dim: int, ff_mult: int) -> None:
        super().__init__()
        self.norm_latents = nn.LayerNorm(dim)
        self.norm_context = nn.LayerNorm(dim)
        self.cross_attn = Attention(dim, num_heads, head_dim)
        self.cross_ff = GEGLUFeedForward(dim, ff_mult)
        self.norm_self = nn.LayerNorm(dim)
        self.self_attn = Attention(dim, num_heads, head_dim)
        self.self_ff = GEGLUFeedForward(dim, ff_mult)

    def forward(
        self,
        latents: torch.Tensor,
        context: torch.Tensor,
        context_mask: torch.Tensor | None,
        return_weights: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        attn, weights = self.cross_attn(
            self.norm_latents(latents), self.norm_context(context), context_mask, return_weights
        )
        latents = latents + attn
        latents = latents + self.cross_ff(latents)
        h = self.norm_self(latents)
        latents = latents + self.self_attn(h, h)[0]
        latents = latents + self.self_ff(latents)
        return latents, weights


class Perceiver(nn.Module):
    """Context tokens (B, T, D) + initial latents (B, L, D) -> latents (B, L, D).

    ``return_weights=True`` also returns the last block's cross-attention weights (B, heads, L, T), which the
    predictor turns into an attention map over the image.
    """

    def __init__(self, config: CogazeConfig) -> None:
        super().__init__()
        p = config.perceiver
        self.blocks = nn.ModuleList(
            PerceiverBlock(config.dim, p.num_heads, p.head_dim, p.ff_mult) for _ in range(p.depth)
        )
        self.norm_out = nn.LayerNorm(config.dim)

    def forward(
        self,
        context: torch.Tensor,
        latents: torch.Tensor,
        context_mask: torch.Tensor | None = None,
        return_weights: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        weights = None
        for i, block in enumerate(self.blocks):
            last = i == len(self.blocks) - 1
            latents, w = block(latents, context, context_mask, return_weights and last)
            if w is not None:
                weights = w
        return self.norm_out(latents), weights
