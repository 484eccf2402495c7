import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from hsp_desktop import cli
from hsp_desktop.errors import GeometryError, HspError, InputError, Problem, ValidationError

ROOT = Path(__file__).resolve().parents[1]


def test_error_message_says_expected_found_fix() -> None:
    err = GeometryError(
        "CT and mask spacing differ",
        expected="0.70x0.70x2.5 mm",
        found="0.70x0.70x3.0 mm",
        fix="re-export the mask from the same series",
    )
    text = str(err)
    assert "expected 0.70x0.70x2.5 mm" in text and "found 0.70x0.70x3.0 mm" in text
    assert text.endswith("re-export the mask from the same series")
    assert isinstance(err, ValueError) and isinstance(err, InputError) and isinstance(err, HspError)
    assert err.as_dict()["type"] == "GeometryError"


def test_validation_error_lists_every_problem() -> None:
    err = ValidationError(
        "2 problems in the record",
        problems=[
            Problem("platelets", 66000, "above 1500", "enter x10^9/L", row=3),
            Problem("age", 80, "over 75", "check"),
        ],
    )
    assert "row 3, platelets=66000" in str(err) and "age=80" in str(err)


def test_every_command_module_registers() -> None:
    missing = []
    for name in cli.COMMAND_MODULES:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                missing.append(name)
                continue
            raise
        assert callable(mod.register), name
    assert not missing, f"command modules listed in cli.COMMAND_MODULES but absent: {missing}"


def test_hsp_help_runs() -> None:
    out = subprocess.run([sys.executable, "-m", "hsp_desktop.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "usage: hsp" in out.stdout


def test_readme_has_exactly_two_setup_commands_and_ci_uses_the_second() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    import re

    commands = re.findall(r"```(?:bash|sh)\n(.*?)```", readme, flags=re.S)
    setup = [c.strip() for c in commands if "bootstrap.sh" in c]
    assert len(setup) == 2, setup
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert setup[1] in ci


@pytest.mark.parametrize(
    "top", ["hsp_desktop", "kernels", "models", "tests", "packaging", "pyproject.toml", "README.md"]
)
def test_design_card_top_level(top: str) -> None:
    assert (ROOT / top).exists()
