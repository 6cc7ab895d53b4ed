"""The persisted state of an AWS key rotation, kept on the record it concerns.

It is not a template field: it is storage-owned state, never shown in views or exports, and
written only by ``seskeys aws rotate``. Keeping it on the record means the vault commits every
step together with its log event, so a killed process resumes from the last committed step.

Where it lives:
  * on the live record while the new key is being created, stored and verified (``creating``,
    ``created``, ``verified``); from ``created`` on it holds the new key's secret, so a key that
    exists in AWS is always in the vault;
  * on the old record, whose status is then ``retiring``, once the new record is live
    (``switched``, ``deactivated``) until the old key is deleted and the record revoked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr


class RotationStep(StrEnum):
    CREATING = "creating"  # intent committed; a key may exist in AWS whose secret was lost
    CREATED = "created"  # the new key is in AWS and its secret is in this state
    VERIFIED = "verified"  # a call signed with the new key succeeded
    SWITCHED = "switched"  # the new record is live; the old key is still active in AWS
    DEACTIVATED = "deactivated"  # the old key is inactive in AWS, waiting to be deleted


BEFORE_SWITCH = frozenset({RotationStep.CREATING, RotationStep.CREATED, RotationStep.VERIFIED})
AFTER_SWITCH = frozenset({RotationStep.SWITCHED, RotationStep.DEACTIVATED})


class Rotation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    step: RotationStep
    ticket: str
    started_at: datetime
    iam_user: str
    # Key ids the IAM user held when the rotation began: anything newer is ours.
    known_keys: tuple[str, ...] = ()
    new_access_key_id: str | None = None
    new_secret: SecretStr | None = None
    new_created_at: datetime | None = None
    switched_at: datetime | None = None
    deactivated_at: datetime | None = None
    delete_after_days: int = 7
    deactivate_old: bool = False  # the run's goal: stop at the switch, or go on to deactivate

    def to_storage(self) -> dict[str, Any]:
        """Everything, the new secret in clear: only for the encrypted vault."""
        data = self.model_dump(mode="json")
        data["new_secret"] = self.new_secret.get_secret_value() if self.new_secret else None
        return data

    def delete_due(self) -> datetime | None:
        """When the old key may be deleted: ``delete_after_days`` after the switch."""
        if self.switched_at is None:
            return None
        return self.switched_at + timedelta(days=self.delete_after_days)

    def problems(self) -> list[str]:
        out = []
        if self.step in (RotationStep.CREATED, RotationStep.VERIFIED) and not (
                self.new_access_key_id and self.new_secret):
            out.append("rotation: a created key must be stored with its secret")
        if self.step in AFTER_SWITCH and self.new_secret is not None:
            out.append("rotation: the new secret belongs on the new record after the switch")
        if self.step in AFTER_SWITCH and self.switched_at is None:
            out.append("rotation: a switched rotation needs its switch time")
        return out
