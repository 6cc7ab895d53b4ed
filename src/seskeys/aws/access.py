"""Per-user effective permissions: user inline + attached + each group's inline + attached.

Answers, for every IAM user of a snapshot: which SES actions are granted (and how: allowed or
conditional, on which resources), which non-SES actions are granted, whether the user is an
administrator, and which attached policies had no document to evaluate. Users with the same
policy set share one evaluation, so thousands of users cost a handful of evaluations.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from seskeys.aws.policy import (
    Grant,
    ParsedPolicy,
    Statement,
    evaluate,
    is_admin,
    non_service_grants,
    parse_policy,
)
from seskeys.aws.snapshot import AccountSnapshot, InlinePolicy, User

SEND_ACTIONS = ("ses:SendEmail", "ses:SendRawEmail")
BULK_SEND_ACTIONS = ("ses:SendTemplatedEmail", "ses:SendBulkTemplatedEmail", "ses:SendBulkEmail")


@dataclass(frozen=True)
class UserAccess:
    user: str
    statements: tuple[Statement, ...]
    ses: Mapping[str, Grant]  # only granted (allowed or conditional) SES actions
    explicit_send: bool  # a statement naming ``ses:`` actions grants sending
    non_ses: tuple[str, ...]
    admin: bool
    unresolved: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def uses_ses(self) -> bool:
        return bool(self.ses)

    def beyond(self, allowed: tuple[str, ...]) -> list[str]:
        keep = {a.lower() for a in allowed}
        return sorted(a for a in self.ses if a.lower() not in keep)


@dataclass
class _Parser:
    """Parses each managed policy once per analysis (no state outlives the call)."""

    snapshot: AccountSnapshot
    managed: dict[str, ParsedPolicy | None]

    def attached(self, arn: str, unresolved: list[str]) -> ParsedPolicy | None:
        if arn not in self.managed:
            policy = self.snapshot.policies.get(arn)
            self.managed[arn] = None if policy is None or policy.document is None else \
                parse_policy(policy.document, f"managed policy {policy.name}")
        parsed = self.managed[arn]
        if parsed is None:
            unresolved.append(arn)
        return parsed


def _inline_parsed(owner: str, policies: tuple[InlinePolicy, ...],
                   unresolved: list[str]) -> list[ParsedPolicy]:
    out = []
    for p in policies:
        if p.document is None:
            unresolved.append(f"{owner} inline policy {p.name}")
        else:
            out.append(parse_policy(p.document, f"{owner} inline policy {p.name}"))
    return out


def _policies(user: User, snapshot: AccountSnapshot, parser: _Parser,
              unresolved: list[str]) -> list[ParsedPolicy]:
    parsed = _inline_parsed("user", user.inline, unresolved)
    parsed += [p for arn in user.attached if (p := parser.attached(arn, unresolved))]
    for name in user.groups:
        group = snapshot.groups.get(name)
        if group is None:
            unresolved.append(f"group {name}")
            continue
        parsed += _inline_parsed(f"group {name}", group.inline, unresolved)
        parsed += [p for arn in group.attached if (p := parser.attached(arn, unresolved))]
    return parsed


def _explicit_send(grants: Mapping[str, Grant]) -> bool:
    for action in (*SEND_ACTIONS, *BULK_SEND_ACTIONS):
        grant = grants.get(action)
        if grant and any(s.not_actions is None and
                         any(p.lower().startswith("ses:") for p in s.actions)
                         for s in grant.statements):
            return True
    return False


def _evaluate(user: str, parsed: list[ParsedPolicy], unresolved: list[str],
              universe: frozenset[str]) -> UserAccess:
    statements = tuple(s for p in parsed for s in p.statements)
    ses_statements = [s for s in statements if s.may_touch_service("ses")]
    grants = {}
    if ses_statements:
        for action in sorted(universe):
            grant = evaluate(ses_statements, action)
            if grant.granted:
                grants[action] = grant
    return UserAccess(user=user, statements=statements, ses=grants,
                      explicit_send=_explicit_send(grants),
                      non_ses=non_service_grants(statements, "ses"),
                      admin=is_admin(statements), unresolved=tuple(unresolved),
                      problems=tuple(x for p in parsed for x in p.problems))


def _signature(user: User) -> str:
    inline: list[Any] = [[p.name, p.document] for p in user.inline]
    return json.dumps([sorted(user.groups), sorted(user.attached), inline], sort_keys=True,
                      default=str)


def analyze(snapshot: AccountSnapshot, universe: frozenset[str]) -> dict[str, UserAccess]:
    """Effective permissions of every user; empty when the users were not collected."""
    parser = _Parser(snapshot, {})
    shared: dict[str, UserAccess] = {}
    out: dict[str, UserAccess] = {}
    for user in (snapshot.users or {}).values():
        signature = _signature(user)
        if signature not in shared:
            unresolved: list[str] = []
            parsed = _policies(user, snapshot, parser, unresolved)
            shared[signature] = _evaluate(user.name, parsed, unresolved, universe)
        base = shared[signature]
        out[user.name] = base if base.user == user.name else \
            UserAccess(user.name, base.statements, base.ses, base.explicit_send, base.non_ses,
                       base.admin, base.unresolved, base.problems)
    return out
