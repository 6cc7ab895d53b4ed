"""The vault's cryptography: Argon2id key derivation, key wrapping, AEAD and keyed hashes.

Key hierarchy: master password --Argon2id--> key-encryption key --AES-256-GCM--> random 256-bit
data key --HKDF-SHA256--> one subkey per purpose (records, event chain, name index,
fingerprints). Changing the master password re-wraps the data key only.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import time
from dataclasses import asdict, dataclass
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from seskeys.errors import IntegrityError, VaultLocked

NONCE_BYTES = 12
KEY_BYTES = 32
SALT_BYTES = 16

STANDARD = "standard"
INSECURE_TEST = "insecure-test"

MIN_MEMORY_KIB = 64 * 1024
MIN_TIME_COST = 3
MIN_PARALLELISM = 4


@dataclass(frozen=True)
class KdfParams:
    memory_kib: int
    time_cost: int
    parallelism: int
    salt: bytes
    profile: str = STANDARD
    algorithm: str = "argon2id"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["salt"] = self.salt.hex()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KdfParams:
        try:
            return cls(memory_kib=int(data["memory_kib"]), time_cost=int(data["time_cost"]),
                       parallelism=int(data["parallelism"]), salt=bytes.fromhex(data["salt"]),
                       profile=str(data["profile"]), algorithm=str(data["algorithm"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise IntegrityError("vault header: KDF parameters are unreadable") from exc

    @property
    def below_minimum(self) -> bool:
        return (self.memory_kib < MIN_MEMORY_KIB or self.time_cost < MIN_TIME_COST
                or self.parallelism < MIN_PARALLELISM)

    def describe(self) -> str:
        memory = (f"{self.memory_kib // 1024} MiB" if self.memory_kib >= 1024
                  else f"{self.memory_kib} KiB")
        return (f"argon2id m={memory} t={self.time_cost} "
                f"p={self.parallelism} ({self.profile})")


def insecure_test_params() -> KdfParams:
    """Deliberately weak parameters for tests and benchmarks; recorded as such in the header."""
    return KdfParams(memory_kib=8, time_cost=1, parallelism=1, salt=os.urandom(SALT_BYTES),
                     profile=INSECURE_TEST)


def derive_kek(password: str, params: KdfParams) -> bytes:
    if params.algorithm != "argon2id":
        raise IntegrityError(f"vault header: unknown KDF {params.algorithm!r}")
    return hash_secret_raw(password.encode("utf-8"), params.salt, time_cost=params.time_cost,
                           memory_cost=params.memory_kib, parallelism=params.parallelism,
                           hash_len=KEY_BYTES, type=Type.ID)


def calibrate(target_seconds: float = 0.5, max_time_cost: int = 24) -> KdfParams:
    """Standard parameters raised in time cost until one derivation takes about the target."""
    salt = os.urandom(SALT_BYTES)
    params = KdfParams(MIN_MEMORY_KIB, MIN_TIME_COST, MIN_PARALLELISM, salt)
    started = time.perf_counter()
    derive_kek("calibration", params)
    elapsed = max(time.perf_counter() - started, 1e-3)
    per_pass = elapsed / MIN_TIME_COST
    time_cost = min(max_time_cost, max(MIN_TIME_COST, math.floor(target_seconds / per_pass)))
    return KdfParams(MIN_MEMORY_KIB, time_cost, MIN_PARALLELISM, salt)


def check_kdf_strength(params: KdfParams) -> None:
    """Refuse a header whose parameters were lowered without the insecure profile."""
    if params.profile == INSECURE_TEST:
        return
    if params.profile != STANDARD or params.below_minimum:
        raise IntegrityError(
            f"vault header: KDF parameters below the minimum ({params.describe()}); "
            "the header was downgraded or tampered with")


def wrap_key(kek: bytes, data_key: bytes, header_ad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, data_key, header_ad)


def unwrap_key(kek: bytes, wrapped: bytes, header_ad: bytes) -> bytes:
    try:
        return AESGCM(kek).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], header_ad)
    except InvalidTag:
        raise VaultLocked("wrong master password (or the vault header was altered)") from None


def new_data_key() -> bytes:
    return os.urandom(KEY_BYTES)


def subkey(data_key: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None,
                info=f"seskeys/v1/{purpose}".encode()).derive(data_key)


class Sealer:
    """AES-256-GCM with a fresh 96-bit nonce per blob; failures become IntegrityError."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, ad: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, ad)

    def open(self, blob: bytes, ad: bytes, what: str) -> bytes:
        try:
            return self._aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], ad)
        except (InvalidTag, ValueError, TypeError):
            raise IntegrityError(f"{what} failed authentication (tampered, swapped or "
                                 "replayed data)") from None


def keyed_hash(key: bytes, value: str | bytes) -> bytes:
    data = value.encode("utf-8") if isinstance(value, str) else value
    return hmac.new(key, data, hashlib.sha256).digest()
