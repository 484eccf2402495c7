import subprocess
import sys
from pathlib import Path

from hsp_desktop.registry import schema, versions


def test_known_migrations_constant_matches_the_registered_migrations() -> None:
    assert list(versions.KNOWN_MIGRATIONS) == schema.known_migrations()
    assert versions.ELIGIBILITY_FLAGS == schema.ELIGIBILITY_FLAGS


def test_opening_a_current_registry_does_not_import_sqlite_utils(tmp_path: Path) -> None:
    from hsp_desktop.registry import Registry

    db = tmp_path / "r.sqlite"
    Registry.open(db).close()  # creates and migrates (imports sqlite-utils in this process)
    code = (
        "import sys; from hsp_desktop.registry import Registry; "
        f"r = Registry.open({str(db)!r}); r.close(); print('sqlite_utils' in sys.modules, 'pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"], out.stdout + out.stderr
