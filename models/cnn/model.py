"""The compact 3-D residual CNN (torch; imported only by training and export, never at run time).

Architecture (``width`` = w, input ``(N, 3, g, g, g)``)::

    stem     conv3x3x3(3 -> w, stride 2) + BN + ReLU                  g/2
    stage 1  residual block (w)                                        g/2
    stage 2  residual block (w -> 2w, stride 2, 1x1x1 projection)      g/4
    stage 3  residual block (2w -> 4w, stride 2, 1x1x1 projection)     g/8
    head     global average pool -> dropout -> linear(4w -> E) -> tanh = ``embedding`` (the deep features)
             linear(E -> 1) = ``logit`` (the deep score)

The outcome logit is a linear function of the embedding, so the embedding carries what the score uses.
With w = 12 and E = 8 the network has about 0.2 M parameters.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, cast

import torch
from torch import nn


@dataclass(frozen=True)
class CnnConfig:
    """Architecture hyper-parameters (recorded in the manifest)."""

    in_channels: int = 3
    width: int = 12
    embedding_dim: int = 8
    dropout: float = 0.2

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable record."""
        return asdict(self)


class ResidualBlock(nn.Module):
    """Two 3x3x3 convolutions with batch norm and an identity (or 1x1x1 projection) shortcut."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv3d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm3d(c_out)
        self.conv2 = nn.Conv3d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm3d(c_out)
        self.act = nn.ReLU(inplace=True)
        self.shortcut: nn.Module
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv3d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm3d(c_out)
            )
        else:
            self.shortcut = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``relu(bn(conv(relu(bn(conv(x))))) + shortcut(x))``."""
        y = self.act(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return cast(torch.Tensor, self.act(y + self.shortcut(x)))


class SpleenCnn(nn.Module):
    """Compact residual 3-D CNN returning ``(logit, embedding)``; see the module docstring."""

    def __init__(self, config: CnnConfig | None = None) -> None:
        super().__init__()
        self.config = config or CnnConfig()
        w = self.config.width
        self.stem = nn.Sequential(
            nn.Conv3d(self.config.in_channels, w, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm3d(w),
            nn.ReLU(inplace=True),
        )
        self.stages = nn.Sequential(
            ResidualBlock(w, w),
            ResidualBlock(w, 2 * w, stride=2),
            ResidualBlock(2 * w, 4 * w, stride=2),
        )
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.dropout = nn.Dropout(self.config.dropout)
        self.embed = nn.Linear(4 * w, self.config.embedding_dim)
        self.head = nn.Linear(self.config.embedding_dim, 1)
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(logit of shape (N, 1), embedding of shape (N, E))``."""
        h = self.stages(self.stem(x))
        h = torch.flatten(self.pool(h), 1)
        emb = torch.tanh(self.embed(self.dropout(h)))
        logit = self.head(emb)
        return logit, emb


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))
