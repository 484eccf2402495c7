"""Password hashing with Argon2id (argon2-cffi) and the parameters the registry uses."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from hsp_desktop.errors import SettingsError

#: OWASP's minimum for Argon2id: 19 MiB memory, 2 iterations, 1 lane.
OWASP_MEMORY_KIB = 19 * 1024


@dataclass(frozen=True)
class Argon2Params:
    """Argon2id cost parameters.

    Parameters
    ----------
    memory_kib : int
        Memory cost in KiB (production default 19456 = 19 MiB, OWASP's minimum).
    time_cost : int
        Iterations (default 2).
    parallelism : int
        Lanes (default 1).
    allow_weak : bool
        Must be True to accept parameters below OWASP's minimum (tests only: they hash many passwords).
    """

    memory_kib: int = OWASP_MEMORY_KIB
    time_cost: int = 2
    parallelism: int = 1
    allow_weak: bool = False

    def __post_init__(self) -> None:
        weak = self.memory_kib < OWASP_MEMORY_KIB or self.time_cost < 2 or self.parallelism < 1
        if weak and not self.allow_weak:
            raise SettingsError(
                "Argon2id parameters are below OWASP's minimum",
                expected=f"memory_kib >= {OWASP_MEMORY_KIB}, time_cost >= 2, parallelism >= 1",
                found=f"memory_kib={self.memory_kib}, time_cost={self.time_cost}, parallelism={self.parallelism}",
                fix="use the defaults (weaker parameters are for tests only and need allow_weak=True)",
                field="argon2_params",
            )

    def hasher(self) -> PasswordHasher:
        """Return an argon2-cffi hasher (Argon2id) with these parameters."""
        return PasswordHasher(
            time_cost=self.time_cost,
            memory_cost=self.memory_kib,
            parallelism=self.parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )


#: Cheap parameters for test suites (never for a ward installation).
TEST_PARAMS = Argon2Params(memory_kib=64, time_cost=1, parallelism=1, allow_weak=True)


def hash_password(password: str, params: Argon2Params) -> str:
    """Return the encoded Argon2id hash of ``password``."""
    return params.hasher().hash(password)


def verify_password(encoded: str, password: str, params: Argon2Params) -> bool:
    """Return True when ``password`` matches ``encoded``; False on mismatch or a malformed hash."""
    try:
        return bool(params.hasher().verify(encoded, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(encoded: str, params: Argon2Params) -> bool:
    """Return True when ``encoded`` was made with other parameters (upgraded on the next sign-in)."""
    try:
        return bool(params.hasher().check_needs_rehash(encoded))
    except InvalidHashError:
        return True
