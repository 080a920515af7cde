"""Window attention, the transformer layer and its MLP (Attention.swift)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .windows import apply_rope


class Attention(nn.Module):
    """Multi-head attention inside index groups (windows), with rotary positions.
    Queries and keys/values may come from different inputs (cross-attention)."""

    def __init__(self, dim, heads, cross=False):
        super().__init__()
        self.heads, self.cross = heads, cross
        if cross:
            self.q = nn.Linear(dim, dim)
            self.kv = nn.Linear(dim, 2 * dim)
        else:
            self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, groups, cos, sin, context=None):
        b, n, d = x.shape                                               # (B, N, D)
        hd = d // self.heads
        if self.cross:
            q = self.q(x)
            k, v = self.kv(context).chunk(2, dim=-1)
        else:
            q, k, v = self.qkv(x).chunk(3, dim=-1)                      # 3 × (B, N, D)
        q, k, v = (t.reshape(b, n, self.heads, hd).transpose(1, 2) for t in (q, k, v))  # (B, H, N, hd)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        out = torch.zeros_like(q)
        for idx in groups:                                              # idx (W, L)
            qg, kg, vg = q[:, :, idx], k[:, :, idx], v[:, :, idx]       # (B, H, W, L, hd)
            out[:, :, idx] = F.scaled_dot_product_attention(qg, kg, vg)
        out = out.transpose(1, 2).reshape(b, n, d)                      # (B, N, D)
        return self.proj(out)


class TransformerLayer(nn.Module):
    def __init__(self, dim, heads, mlp_ratio):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = MLP(dim, mlp_ratio)

    def forward(self, x, groups, cos, sin):
        x = x + self.attn(self.norm1(x), groups, cos, sin)
        return x + self.mlp(self.norm2(x))


class MLP(nn.Module):
    def __init__(self, dim, ratio):
        super().__init__()
        self.fc1 = nn.Linear(dim, dim * ratio)
        self.fc2 = nn.Linear(dim * ratio, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))
