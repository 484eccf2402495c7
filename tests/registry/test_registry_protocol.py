"""The typed protocol the pipeline uses: the real registry and the pipeline's test double both satisfy it."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import pytest

from hsp_desktop.registry import Registry
from hsp_desktop.registry.protocol import ScoringRegistry

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))

MEMBERS = [
    name for name, value in vars(ScoringRegistry).items() if callable(value) and not name.startswith("_")
]


def _params(cls: type, name: str) -> list[tuple[str, object]]:
    sig = inspect.signature(getattr(cls, name))
    return [(p.name, p.kind) for p in sig.parameters.values()]


def test_members_listed() -> None:
    assert {"transaction", "get_recipient", "add_imaging_study", "save_features", "save_prediction"} <= set(
        MEMBERS
    )


@pytest.mark.parametrize("name", MEMBERS)
def test_registry_matches_protocol(name: str) -> None:
    assert _params(Registry, name) == _params(ScoringRegistry, name)


def test_registry_instance_is_a_scoring_registry(tmp_path: Path) -> None:
    with Registry.open(tmp_path / "r.db") as reg:
        assert isinstance(reg, ScoringRegistry)


def test_pipeline_fake_keeps_the_protocol_names() -> None:
    from pipeline_fakes import FakeRegistry

    for name in ("transaction", "get_recipient", "add_imaging_study", "save_features", "save_prediction"):
        real = [n for n, _ in _params(ScoringRegistry, name)]
        fake = [n for n, _ in _params(FakeRegistry, name)]
        # the fake may take **kw for keyword-only arguments it ignores, but positional names must agree
        positional = [
            n for n, k in _params(ScoringRegistry, name) if k is inspect.Parameter.POSITIONAL_OR_KEYWORD
        ]
        assert fake[: len(positional)] == positional, (name, fake, real)
