"""A small 2.5-D U-Net: each axial slice with its two neighbours as three channels, three poolings (width, 2 x width, 4 x width channels).

:class:`VolumeSegNet` wraps it so that the exported ONNX model takes the whole volume ``(1, 1, z, y, x)`` and
returns logits ``(1, classes, z, y, x)``: the slices are the batch of the 2-D network (the end slices repeat
themselves as neighbours).  A 2.5-D network costs a few per cent of a 3-D one of the same width, which keeps the
demonstration model trainable in minutes on two CPU cores.
"""

from __future__ import annotations

import torch
from torch import nn


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1),
        nn.BatchNorm2d(cout),
        nn.LeakyReLU(0.1),
        nn.Conv2d(cout, cout, 3, padding=1),
        nn.BatchNorm2d(cout),
        nn.LeakyReLU(0.1),
    )


class SliceUNet(nn.Module):
    """Input (N, 3, y, x) with y, x divisible by 8; output logits (N, classes, y, x) of the middle slice."""

    def __init__(self, classes: int = 3, width: int = 8) -> None:
        super().__init__()
        w = width
        self.enc1 = _block(3, w)
        self.enc2 = _block(w, 2 * w)
        self.enc3 = _block(2 * w, 4 * w)
        self.mid = _block(4 * w, 4 * w)
        self.up3 = nn.ConvTranspose2d(4 * w, 4 * w, 2, stride=2)
        self.dec3 = _block(8 * w, 2 * w)
        self.up2 = nn.ConvTranspose2d(2 * w, 2 * w, 2, stride=2)
        self.dec2 = _block(4 * w, w)
        self.up1 = nn.ConvTranspose2d(w, w, 2, stride=2)
        self.dec1 = _block(2 * w, w)
        self.head = nn.Conv2d(w, classes, 1)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits per class and pixel."""
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        e3 = self.enc3(self.pool(e2))
        m = self.mid(self.pool(e3))
        d3 = self.dec3(torch.cat([self.up3(m), e3], dim=1))
        d2 = self.dec2(torch.cat([self.up2(d3), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        out: torch.Tensor = self.head(d1)
        return out


def neighbours(volume: torch.Tensor) -> torch.Tensor:
    """(1, 1, z, y, x) -> (z, 3, y, x): each slice with the one below and above (ends repeated)."""
    v = volume[0, 0]
    padded = torch.cat([v[:1], v, v[-1:]], dim=0)
    return torch.stack([padded[:-2], padded[1:-1], padded[2:]], dim=1)


class VolumeSegNet(nn.Module):
    """Whole-volume wrapper of :class:`SliceUNet`: (1, 1, z, y, x) -> logits (1, classes, z, y, x)."""

    def __init__(self, net: SliceUNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, volume: torch.Tensor) -> torch.Tensor:
        """Logits of every slice, stacked back along z."""
        logits: torch.Tensor = self.net(neighbours(volume))  # (z, classes, y, x)
        return logits.permute(1, 0, 2, 3).unsqueeze(0)
