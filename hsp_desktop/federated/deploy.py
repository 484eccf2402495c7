"""Processes of a federation on real sockets: the coordinator's SuperLink, one SuperNode per site, ``flwr run``.

Folders
-------
Coordinator folder (``hsp federated coordinator init DIR --sites site1 site2 site3``)::

    federation.json          host, port, sites
    certs/                   ca.crt, ca.key, server.crt, server.key
    sites/<site>/            what is handed to each site: ca.crt, node.key, node.pub
    flwr_home/config.toml    the Flower CLI's connection profile (TLS, this CA)
    state/superlink.db       SuperLink state (registered node keys, runs)
    runs/<stamp>/            plan.json, progress.jsonl, result.json (or error.json)
    logs/superlink.log

Site folder (the ``sites/<site>`` folder handed over, or any folder with ca.crt + node.key)::

    ca.crt, node.key, node.pub, approvals.json, outbox.jsonl, flwr_home/, logs/supernode.log

Every process runs with ``FLWR_DISABLE_UPDATE_CHECK=1``, its own ``FLWR_HOME`` and no dependency installation at
run time; the SuperLink requires TLS and registered node keys.  :meth:`Process.stop` sends SIGTERM to the
process group, then SIGKILL after a grace period, so no child (ServerApp, ClientApp) is left behind.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hsp_desktop.errors import CancelledError, FederatedError
from hsp_desktop.federated import pki
from hsp_desktop.federated.core import Plan

APP_DIR = Path(__file__).resolve().parent / "flowerapp"
FEDERATION_FILE = "federation.json"


def _bin(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    if candidate.is_file():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise FederatedError(
            f"The Flower program {name} is not installed",
            expected=f"{name} next to {sys.executable}",
            found="nothing",
            fix="install HSP Desktop with its dependencies (flwr)",
        )
    return found


def _env(flwr_home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["FLWR_HOME"] = str(flwr_home)
    env["FLWR_DISABLE_UPDATE_CHECK"] = "1"
    env["FLWR_TELEMETRY_ENABLED"] = "0"
    # the SuperLink / SuperNode start their helpers (flower-superexec, flwr-serverapp, ...) from PATH
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    repo = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = repo + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def free_port(host: str = "127.0.0.1") -> int:
    """An unused TCP port on ``host``."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_port(host: str, port: int, timeout: float) -> bool:
    """True once ``host:port`` accepts TCP connections (False after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.2)
    return False


def _group_ended(pgid: int, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for every process of group ``pgid`` to exit; True when none is left."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # the id now belongs to someone else's group: ours is gone
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def _helpers(home: str) -> list[int]:
    """Processes running with ``FLWR_HOME=home`` (Linux: read from /proc; elsewhere none are found)."""
    marker = f"FLWR_HOME={home}\0".encode()
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if (
                marker in (proc / "environ").read_bytes()
                and (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
            ):
                found.append(int(proc.name))
        except (OSError, IndexError):  # gone meanwhile, or not ours to read
            continue
    return found


def _helpers_ended(home: str, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds until no process runs with ``FLWR_HOME=home``; True when none is left."""
    deadline = time.monotonic() + timeout
    while _helpers(home):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)
    return True


@dataclass
class Process:
    """A started Flower process with its log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    #: Its FLWR_HOME: helpers that leave its process group (flower-superexec starts its own session) share it.
    home: str = ""

    @property
    def alive(self) -> bool:
        """True while the process runs."""
        return self.popen.poll() is None

    def stop(self, grace: float = 10.0) -> int | None:
        """SIGTERM the process group, SIGKILL after ``grace`` seconds; returns the exit code."""
        if self.alive:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.popen.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.popen.wait(5)
        # The leader has exited; its children (ServerApp/ClientApp processes) may still be shutting down: give them
        # the same grace, then kill whatever of the group is left, so nothing outlives ``stop``.
        if not _group_ended(self.popen.pid, grace):
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            _group_ended(self.popen.pid, 5.0)
        # flower-superexec runs in a session of its own and exits once it sees its parent gone: wait for it too
        if self.home and not _helpers_ended(self.home, grace):
            for pid in _helpers(self.home):
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        return self.popen.returncode

    def diagnose(self) -> str:
        """A clear statement of why a SuperNode/SuperLink stopped, from its log ("" when nothing is known)."""
        text = self.tail(400)
        low = text.lower()
        if "certificate_verify_failed" in low or "ssl/tls handshake error" in low:
            return (
                "TLS refused: the coordinator's certificate is not signed by this site's ca.crt "
                "(wrong certificates folder, or a certificate from another federation): ask the coordinator "
                "for this federation's ca.crt"
            )
        if "failed to activate supernode" in low or "no supernode found with the given public key" in low:
            return (
                "Node authentication refused: the coordinator has not registered this site's node key: "
                "ask the coordinator to register node.pub (hsp federated coordinator start registers every site)"
            )
        if "unable to parse the private key" in low:
            return "The site's node.key cannot be read: ask the coordinator for this site's key pair again"
        if "address already in use" in low:
            return "The port is in use: stop the other program or choose another port"
        if not self.alive and self.popen.returncode not in (0, None, -15):
            return f"{self.name} stopped with exit code {self.popen.returncode}: see {self.log}"
        return ""

    def tail(self, lines: int = 20) -> str:
        """Last lines of the log."""
        if not self.log.is_file():
            return ""
        return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def _death_signal() -> Callable[[], None] | None:
    """Linux: a pre-exec hook giving the child SIGTERM when the process that started it dies (even by SIGKILL).

    libc's ``prctl`` is looked up here, in the parent, so the hook only calls a C function between fork and exec.
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    term = int(signal.SIGTERM)

    def hook() -> None:  # pragma: no cover - runs in the child
        prctl(1, term)  # PR_SET_PDEATHSIG

    return hook


def _spawn(name: str, cmd: list[str], env: dict[str, str], log: Path, cwd: Path) -> Process:
    log.parent.mkdir(parents=True, exist_ok=True)
    fh = open(log, "ab")
    try:
        popen = subprocess.Popen(
            cmd,
            env=env,
            cwd=cwd,
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stop() ends its ServerApp/ClientApp children too
            preexec_fn=_death_signal(),
        )
    finally:
        fh.close()
    return Process(name, popen, log, home=env.get("FLWR_HOME", ""))


# --------------------------------------------------------------------------------------------- coordinator
def init_coordinator(
    folder: Path,
    sites: Sequence[str],
    *,
    host: str = "127.0.0.1",
    port: int = 9200,
    hosts: Sequence[str] = ("127.0.0.1", "localhost"),
) -> dict[str, Any]:
    """Create a coordinator folder: CA, SuperLink certificate, one node key pair per site, CLI profile.

    Parameters
    ----------
    folder : Path
        Coordinator folder (created).
    sites : sequence of str
        Site names.
    host, port : str, int
        Where the SuperLink listens.
    hosts : sequence of str
        Names/addresses in the server certificate.

    Returns
    -------
    dict
        The federation description written to ``federation.json``.
    """
    folder = Path(folder)
    if (folder / FEDERATION_FILE).exists():
        raise FederatedError(
            "The coordinator folder is already initialised",
            found=str(folder / FEDERATION_FILE),
            fix="use another folder, or delete this one to start a new federation",
            field="folder",
        )
    if len(set(sites)) != len(sites) or not sites:
        raise FederatedError("Site names must be unique and not empty", found=", ".join(sites), field="sites")
    certs = folder / "certs"
    ca_crt, ca_key = pki.make_ca(certs)
    pki.make_server_cert(certs, ca_crt, ca_key, hosts)
    for site in sites:
        sdir = folder / "sites" / site
        pki.make_node_keys(sdir)
        shutil.copy2(ca_crt, sdir / "ca.crt")
    desc = {"host": host, "port": int(port), "sites": list(sites), "created": _stamp()}
    (folder / FEDERATION_FILE).write_text(json.dumps(desc, indent=2), encoding="utf-8")
    write_cli_profile(folder / "flwr_home", host, port, ca_crt)
    return desc


def write_cli_profile(flwr_home: Path, host: str, port: int, ca_crt: Path) -> Path:
    """Write ``$FLWR_HOME/config.toml`` with the ``local`` SuperLink connection over TLS."""
    flwr_home.mkdir(parents=True, exist_ok=True)
    path = flwr_home / "config.toml"
    path.write_text(
        '[superlink]\ndefault = "local"\n\n[superlink.local]\n'
        f'address = "{host}:{port}"\nroot-certificates = "{Path(ca_crt).resolve()}"\n',
        encoding="utf-8",
    )
    return path


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def load_federation(folder: Path) -> dict[str, Any]:
    """Read ``federation.json`` of a coordinator folder."""
    path = Path(folder) / FEDERATION_FILE
    if not path.is_file():
        raise FederatedError(
            "Not a coordinator folder",
            expected=f"{FEDERATION_FILE} written by `hsp federated coordinator init`",
            found=str(folder),
            fix="run `hsp federated coordinator init` first",
            field="folder",
        )
    return dict(json.loads(path.read_text(encoding="utf-8")))


@dataclass
class Federation:
    """The processes of one coordinator (and, on one machine for tests and demos, its sites).

    Use as a context manager: every process started is stopped on exit, whatever happens.
    """

    folder: Path
    processes: list[Process] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.folder = Path(self.folder).resolve()  # processes run with their own working directory

    def __enter__(self) -> Federation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def desc(self) -> dict[str, Any]:
        """The federation description."""
        return load_federation(self.folder)

    def _flwr(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        profile = self.folder / "flwr_home" / "config.toml"
        if not profile.is_file():
            # without it the Flower CLI would write a default profile and start a local simulation SuperLink
            raise FederatedError(
                "The coordinator folder has no Flower connection profile",
                expected=str(profile),
                found="no file",
                fix="run `hsp federated coordinator init` for this folder",
                field="folder",
            )
        return subprocess.run(
            [_bin("flwr"), *args],
            env=_env(self.folder / "flwr_home"),
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start_superlink(self, timeout: float = 60.0) -> Process:
        """Start the SuperLink (TLS, node authentication, no runtime installs) and register every site's key."""
        d = self.desc
        certs = self.folder / "certs"
        (self.folder / "state").mkdir(exist_ok=True)
        cmd = [
            _bin("flower-superlink"),
            "--ssl-ca-certfile",
            str(certs / "ca.crt"),
            "--ssl-certfile",
            str(certs / "server.crt"),
            "--ssl-keyfile",
            str(certs / "server.key"),
            "--enable-supernode-auth",
            "--disable-runtime-dependency-installation",
            "--database",
            str(self.folder / "state" / "superlink.db"),
            "--host",
            str(d["host"]),
            "--port",
            str(d["port"]),
        ]
        proc = _spawn(
            "superlink",
            cmd,
            _env(self.folder / "flwr_home"),
            self.folder / "logs" / "superlink.log",
            self.folder,
        )
        self.processes.append(proc)
        if not wait_port(d["host"], int(d["port"]), timeout) or not proc.alive:
            raise FederatedError(
                "The SuperLink did not start",
                expected=f"listening on {d['host']}:{d['port']}",
                found=proc.tail(8) or "no log",
                fix="check that the port is free and the certificates exist",
            )
        for site in d["sites"]:
            self.register_site(site, timeout=timeout)
        return proc

    def register_site(self, site: str, *, timeout: float = 60.0, public_key: Path | None = None) -> None:
        """Register a site's node public key with the running SuperLink (idempotent)."""
        key = public_key or self.folder / "sites" / site / "node.pub"
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            res = self._flwr("supernode", "register", str(key), "local", "--name", site, "--format", "json")
            out = (res.stdout + res.stderr).strip()
            if res.returncode == 0 or "already" in out.lower():
                return
            last = out
            time.sleep(1.0)
        raise FederatedError(
            f"Could not register {site}'s node key",
            found=last[-400:],
            fix="check the SuperLink log",
            field="node.pub",
        )

    def start_site(
        self,
        site_dir: Path,
        data_path: Path,
        site: str,
        *,
        superlink: str | None = None,
        ca: Path | None = None,
        key: Path | None = None,
        max_retries: int | None = None,
    ) -> Process:
        """Start a site's SuperNode (outbound connection only; TLS with the federation CA; node key).

        Parameters
        ----------
        site_dir : Path
            The site folder (``ca.crt``, ``node.key``; approvals and outbox are kept here).
        data_path : Path
            The site's cohort folder or registry database.
        site : str
            Site name.
        superlink : str, optional
            ``host:port`` (default: this federation's).
        ca, key : Path, optional
            Override the trust root / node key (used to test refusals).
        max_retries : int, optional
            Give up after this many failed connection attempts.
        """
        site_dir = Path(site_dir).resolve()
        d = self.desc if superlink is None else None
        address = superlink or f"{d['host']}:{d['port']}"  # type: ignore[index]
        node_config = f"data-path='{Path(data_path).resolve()}' site='{site}' site-dir='{site_dir}'"
        cmd = [
            _bin("flower-supernode"),
            "--superlink",
            address,
            "--root-certificates",
            str(ca or site_dir / "ca.crt"),
            "--auth-supernode-private-key",
            str(key or site_dir / "node.key"),
            "--node-config",
            node_config,
            "--port",
            str(free_port()),
        ]
        if max_retries is not None:
            cmd += ["--max-retries", str(max_retries), "--max-wait-time", "20"]
        proc = _spawn(
            f"supernode:{site}",
            cmd,
            _env(site_dir / "flwr_home"),
            site_dir / "logs" / "supernode.log",
            site_dir,
        )
        self.processes.append(proc)
        return proc

    def submit(
        self,
        plan: Plan,
        *,
        app_dir: Path = APP_DIR,
        connect_timeout: float = 120.0,
        round_timeout: float = 90.0,
    ) -> tuple[int, Path]:
        """Write the plan, submit the app with ``flwr run`` and return (run id, run folder).

        ``connect_timeout``: how long the ServerApp waits for every site of the plan to connect;
        ``round_timeout``: how long a round waits for replies before the silent sites count as dropped.
        """
        run_dir = self.folder / "runs" / _stamp()
        run_dir.mkdir(parents=True)
        plan_path = run_dir / "plan.json"
        plan_path.write_text(json.dumps(plan.to_dict(), indent=2), encoding="utf-8")
        res = self._flwr(
            "run",
            str(app_dir),
            "local",
            "--format",
            "json",
            "--run-config",
            f"plan-path='{plan_path}' out-dir='{run_dir}' "
            f"connect-timeout={float(connect_timeout)} round-timeout={float(round_timeout)}",
            timeout=120,
        )
        text = res.stdout.strip()
        try:
            info = json.loads(text[text.index("{") :]) if "{" in text else {}
        except json.JSONDecodeError:
            info = {}
        if res.returncode != 0 or not info.get("success", False) or "run-id" not in info:
            raise FederatedError(
                "The coordinator could not submit the run",
                found=(text + res.stderr)[-600:],
                fix="check that the SuperLink runs and the CLI profile points at it",
            )
        return int(info["run-id"]), run_dir

    def run_status(self, run_id: int) -> dict[str, Any]:
        """The run's entry from ``flwr ls --format json`` (status, sub-status, ...)."""
        res = self._flwr("ls", "local", "--run-id", str(run_id), "--format", "json")
        text = res.stdout.strip()
        try:
            data = json.loads(text[text.index("{") :])
        except (ValueError, json.JSONDecodeError):
            return {"status": "unknown", "raw": (text + res.stderr)[-300:]}
        runs = data.get("runs") or []
        return dict(runs[0]) if runs else {"status": "unknown", "raw": text[-300:]}

    def wait(
        self,
        run_id: int,
        run_dir: Path,
        *,
        timeout: float = 900.0,
        progress: Callable[[dict[str, Any]], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> dict[str, Any]:
        """Wait for the run, reporting each progress event, and return ``result.json``.

        Raises
        ------
        FederatedError
            When the ServerApp failed (its error is quoted) or the run exceeded ``timeout``.
        """
        deadline = time.monotonic() + timeout
        seen = 0
        last_status = 0.0
        while True:
            events = _read_events(run_dir / "progress.jsonl")
            for ev in events[seen:]:
                if progress is not None:
                    progress(ev)
            seen = len(events)
            if (run_dir / "result.json").is_file():
                return dict(json.loads((run_dir / "result.json").read_text(encoding="utf-8")))
            if (run_dir / "error.json").is_file():
                err = json.loads((run_dir / "error.json").read_text(encoding="utf-8"))
                raise FederatedError(
                    "The federated run failed",
                    found=str(err.get("message")),
                    fix=str(err.get("fix") or "read the coordinator's run folder and the SuperLink log"),
                    field=err.get("field"),
                )
            if cancelled is not None and cancelled():
                self._flwr("stop", str(run_id), "local")
                raise CancelledError("federated run stopped by the user")
            if time.monotonic() - last_status > 10:
                last_status = time.monotonic()
                st = self.run_status(run_id)
                status = str(st.get("status", ""))
                if status.startswith("finished") and not (run_dir / "result.json").is_file():
                    time.sleep(1.0)
                    if not (run_dir / "result.json").is_file() and not (run_dir / "error.json").is_file():
                        raise FederatedError(
                            "The federated run ended without a result",
                            found=status,
                            fix="read the SuperLink log: " + str(self.folder / "logs" / "superlink.log"),
                        )
            if time.monotonic() > deadline:
                self._flwr("stop", str(run_id), "local")
                raise FederatedError(
                    "The federated run timed out", expected=f"< {timeout:.0f} s", found="still running"
                )
            time.sleep(0.5)

    def stop(self) -> dict[str, int | None]:
        """Stop every process this object started (sites first, SuperLink last)."""
        codes: dict[str, int | None] = {}
        for proc in sorted(self.processes, key=lambda p: p.name == "superlink"):
            codes[proc.name] = proc.stop()
        self.processes.clear()
        return codes


def _read_events(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            break  # a line being written
    return out
