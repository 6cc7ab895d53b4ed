"""Evaluating IAM identity policies for one principal, the way IAM does for the parts we need.

Covered: ``Statement`` as object or list; ``Action``/``NotAction`` and ``Resource``/``NotResource``
as string or list; ``*`` and ``?`` wildcards; case-insensitive action names and condition keys;
``${aws:username}`` in resources; explicit Deny wins. A statement with a ``Condition`` is never
ignored and never taken as unconditional: what it grants is reported as *conditional*, with its
conditions. Documents may be objects, JSON strings or URL-encoded JSON strings.

Not covered (and not needed by the audit): resource-based policies, permissions boundaries,
SCPs and session policies. The SES action universe comes from botocore's service models.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any
from urllib.parse import unquote

import botocore.session


class PolicyError(ValueError):
    """A policy document that cannot be read at all."""


def ses_action_universe(session: botocore.session.Session | None = None) -> frozenset[str]:
    """Every IAM action of SES v1 and v2 (``ses:<Operation>``), from botocore's models.

    Callers load it once per audit and pass it down; nothing here caches it globally.
    """
    session = session or botocore.session.get_session()
    actions: set[str] = set()
    for service in ("ses", "sesv2"):
        model = session.get_service_model(service)
        actions.update(f"ses:{op}" for op in model.operation_names)
    return frozenset(actions)


def decode_document(value: Any) -> dict[str, Any]:
    """A policy document from an object, a JSON string or a URL-encoded JSON string."""
    if isinstance(value, Mapping):
        return dict(value)
    if not isinstance(value, str):
        raise PolicyError(f"policy document is a {type(value).__name__}, not an object")
    text = value.strip()
    if text.startswith("%7B") or text.startswith("%7b") or ("%22" in text and "{" not in text):
        text = unquote(text)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyError(f"policy document is not JSON: {exc.msg}") from None
    if not isinstance(document, dict):
        raise PolicyError("policy document is not a JSON object")
    return document


def _glob(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    parts = (".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def glob_match(pattern: str, value: str, *, ignore_case: bool = True) -> bool:
    return _glob(pattern, ignore_case=ignore_case).fullmatch(value) is not None


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise PolicyError(f"{what} must be a string or a list of strings")


@dataclass(frozen=True)
class Condition:
    operator: str
    key: str  # lower-cased: condition keys are case-insensitive
    values: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.operator} {self.key} {list(self.values)}"


@dataclass(frozen=True)
class Statement:
    effect: str  # "Allow" or "Deny"
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] | None = ("*",)
    not_resources: tuple[str, ...] | None = None
    conditions: tuple[Condition, ...] = ()
    source: str = ""
    sid: str | None = None
    _resource_res: dict[str, re.Pattern[str]] = field(default_factory=dict, compare=False,
                                                       repr=False)

    @property
    def allow(self) -> bool:
        return self.effect == "Allow"

    @property
    def conditional(self) -> bool:
        return bool(self.conditions)

    @cached_property
    def _action_res(self) -> tuple[re.Pattern[str], ...]:
        patterns = self.not_actions if self.not_actions is not None else self.actions
        return tuple(_glob(p, ignore_case=True) for p in patterns)

    def matches_action(self, action: str) -> bool:
        hit = any(r.fullmatch(action) for r in self._action_res)
        return not hit if self.not_actions is not None else hit

    def may_touch_service(self, service: str) -> bool:
        """Cheap pre-filter: could this statement match any action of ``service``?"""
        if self.not_actions is not None:
            return True
        return any(glob_match(p.split(":", 1)[0], service) for p in self.actions)

    def all_resources(self) -> bool:
        """Whether the statement applies to every resource (``Resource: "*"``)."""
        return self.not_resources is None and "*" in (self.resources or ())

    def matches_resource(self, arn: str, variables: Mapping[str, str]) -> bool:
        patterns = self.not_resources if self.not_resources is not None else self.resources
        hit = any(self._resource_re(_substitute(p, variables)).fullmatch(arn)
                  for p in patterns or ())
        return not hit if self.not_resources is not None else hit

    def _resource_re(self, pattern: str) -> re.Pattern[str]:
        """Compiled once per statement (ARNs are matched case-sensitively)."""
        if pattern not in self._resource_res:
            self._resource_res[pattern] = _glob(pattern, ignore_case=False)
        return self._resource_res[pattern]

    def resource_text(self) -> tuple[str, ...]:
        if self.not_resources is not None:
            return tuple(f"NotResource:{r}" for r in self.not_resources)
        return self.resources or ()

    def condition_keys(self) -> frozenset[str]:
        return frozenset(c.key for c in self.conditions)


def _substitute(pattern: str, variables: Mapping[str, str]) -> str:
    """Policy variables: known ones replaced, unknown ones match anything."""
    def repl(m: re.Match[str]) -> str:
        return variables.get(m.group(1).lower(), "*")
    return re.sub(r"\$\{([^}]+)\}", repl, pattern)


def _conditions(value: Any) -> tuple[Condition, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise PolicyError("Condition must be an object")
    out = []
    for operator, block in value.items():
        if not isinstance(block, Mapping):
            raise PolicyError(f"Condition {operator} must be an object")
        for key, raw in block.items():
            values = tuple(str(v) for v in raw) if isinstance(raw, list) else (str(raw),)
            out.append(Condition(str(operator), str(key).lower(), values))
    return tuple(out)


def _statement(raw: Any, source: str) -> Statement:
    if not isinstance(raw, Mapping):
        raise PolicyError("a statement is not an object")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"Effect is {effect!r}, not Allow or Deny")
    if ("Action" in raw) == ("NotAction" in raw):
        raise PolicyError("a statement needs exactly one of Action and NotAction")
    if "Resource" in raw and "NotResource" in raw:
        raise PolicyError("a statement cannot have both Resource and NotResource")
    sid = raw.get("Sid")
    return Statement(
        effect=effect,
        actions=_strings(raw["Action"], "Action") if "Action" in raw else (),
        not_actions=_strings(raw["NotAction"], "NotAction") if "NotAction" in raw else None,
        resources=_strings(raw["Resource"], "Resource") if "Resource" in raw else
        (None if "NotResource" in raw else ("*",)),
        not_resources=_strings(raw["NotResource"], "NotResource") if "NotResource" in raw
        else None,
        conditions=_conditions(raw.get("Condition")),
        source=source, sid=str(sid) if sid else None)


@dataclass(frozen=True)
class ParsedPolicy:
    source: str
    statements: tuple[Statement, ...]
    problems: tuple[str, ...] = ()


def parse_policy(document: Any, source: str) -> ParsedPolicy:
    """Statements of one document; unreadable statements are reported, never guessed at."""
    try:
        doc = decode_document(document)
    except PolicyError as exc:
        return ParsedPolicy(source, (), (f"{source}: {exc}",))
    raw = doc.get("Statement")
    items = raw if isinstance(raw, list) else [raw] if raw is not None else []
    statements, problems = [], []
    for n, item in enumerate(items, start=1):
        try:
            statements.append(_statement(item, source))
        except PolicyError as exc:
            problems.append(f"{source}: statement {n}: {exc}")
    if raw is None:
        problems.append(f"{source}: no Statement")
    return ParsedPolicy(source, tuple(statements), tuple(problems))


class Access(StrEnum):
    ALLOWED = "allowed"
    CONDITIONAL = "conditional"
    DENIED = "denied"  # an explicit Deny
    NONE = "none"  # nothing allows it


@dataclass(frozen=True)
class Grant:
    """What a set of statements says about one action (optionally on one resource)."""

    action: str
    access: Access
    resources: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    mfa_required: bool = False
    statements: tuple[Statement, ...] = field(default=(), repr=False, compare=False)

    @property
    def granted(self) -> bool:
        return self.access in (Access.ALLOWED, Access.CONDITIONAL)


def _covered(pattern: str, deny_patterns: Iterable[str]) -> bool:
    """Whether a Deny's resource patterns cover everything an Allow pattern can match."""
    return any(glob_match(d, pattern, ignore_case=False) for d in deny_patterns)


def _values(c: Condition) -> frozenset[str]:
    return frozenset(v.strip().lower() for v in c.values)


def requires_mfa(c: Condition) -> bool:
    """Whether an Allow with this condition grants nothing to a caller without MFA.

    Requests signed with long-term access keys carry no ``aws:MultiFactorAuthPresent``: a
    ``Bool`` "true" test fails for them, as does a ``NumericLessThan`` on the MFA age; the
    ``...IfExists`` forms pass when the key is absent, so they do not require MFA.
    """
    op = c.operator.lower()
    if c.key == "aws:multifactorauthpresent":
        return op == "bool" and _values(c) == {"true"}
    if c.key == "aws:multifactorauthage":
        return op in ("numericlessthan", "numericlessthanequals")
    return False


def denies_without_mfa(c: Condition) -> bool:
    """Whether a Deny with this condition stops every caller without MFA, long-term keys
    included: ``BoolIfExists`` "false" or ``Null`` "true" (a plain ``Bool`` "false" does not
    match a request that carries no MFA key at all, so keys pass it)."""
    if c.key != "aws:multifactorauthpresent":
        return False
    op = c.operator.lower()
    return ((op == "boolifexists" and _values(c) == {"false"})
            or (op == "null" and _values(c) == {"true"}))


def _mfa_gated(allows: Sequence[Statement], cond_denies: Sequence[Statement]) -> bool:
    """MFA is required when a Deny stops every caller without it (its only condition being
    that test), or when every Allow requires it."""
    if any(len(d.conditions) == 1 and denies_without_mfa(d.conditions[0])
           for d in cond_denies):
        return True
    return bool(allows) and all(any(requires_mfa(c) for c in s.conditions) for s in allows)


def evaluate(statements: Sequence[Statement], action: str, resource: str | None = None,
             variables: Mapping[str, str] | None = None) -> Grant:
    """The decision for ``action`` on ``resource`` (or on any resource when ``None``)."""
    variables = variables or {}

    def applies(s: Statement) -> bool:
        if not s.matches_action(action):
            return False
        return resource is None or s.matches_resource(resource, variables)

    relevant = [s for s in statements if applies(s)]
    allows = [s for s in relevant if s.allow]
    denies = [s for s in relevant if not s.allow]
    everywhere = [d for d in denies if resource is not None or d.all_resources()]
    if any(not d.conditional for d in everywhere):
        return Grant(action, Access.DENIED, sources=_sources(everywhere), statements=tuple(denies))
    if not allows:
        return Grant(action, Access.NONE)
    firm = [s for s in allows if not s.conditional]
    if resource is None and firm:
        firm = _minus_partial_denies(firm, [d for d in denies if not d.conditional])
        if not firm and not [s for s in allows if s.conditional]:
            return Grant(action, Access.DENIED, sources=_sources(denies),
                         statements=tuple(denies))
    cond_denies = [d for d in everywhere if d.conditional]
    used = firm if firm and not cond_denies else allows
    access = Access.ALLOWED if firm and not cond_denies else Access.CONDITIONAL
    conditions = tuple(dict.fromkeys(
        str(c) for s in [*used, *cond_denies] if access is Access.CONDITIONAL
        for c in s.conditions))
    resources = tuple(dict.fromkeys(r for s in used for r in s.resource_text()))
    return Grant(action, access, resources=resources, conditions=conditions,
                 sources=_sources(used), mfa_required=_mfa_gated(allows, cond_denies),
                 statements=tuple(used))


def _minus_partial_denies(allows: list[Statement], denies: list[Statement]) -> list[Statement]:
    """Allows whose every resource an unconditional Deny also names are not allows."""
    deny_patterns = [p for d in denies if d.not_resources is None for p in d.resources or ()]
    if not deny_patterns:
        return allows
    return [s for s in allows if s.not_resources is not None
            or not all(_covered(r, deny_patterns) for r in s.resources or ())]


def _sources(statements: Iterable[Statement]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s.source for s in statements))


def non_service_grants(statements: Sequence[Statement], service: str) -> tuple[str, ...]:
    """Allowed action patterns outside ``service``, minus what an unconditional Deny covers.

    ``NotAction`` allows are reported as ``NotAction:[...]`` (they grant every other service).
    """
    firm_denies = [s for s in statements if not s.allow and not s.conditional
                   and s.all_resources()]
    denies = [p for s in firm_denies if s.not_actions is None for p in s.actions]
    # A Deny with NotAction denies everything but its list: outside the service, only the
    # listed actions of other services can still be granted.
    spared = [[a for a in s.not_actions if a.split(":", 1)[0].lower() != service]
              for s in firm_denies if s.not_actions is not None]

    def survives(pattern: str) -> bool:
        return all(any(glob_match(pattern, a) or glob_match(a, pattern) for a in keep)
                   for keep in spared)

    out: list[str] = []
    for s in statements:
        if not s.allow:
            continue
        if s.not_actions is not None:
            if not any(d == "*" for d in denies) and survives("*"):
                out.append("NotAction:" + json.dumps(list(s.not_actions)))
            continue
        for p in s.actions:
            prefix = p.split(":", 1)[0].lower()
            if prefix == service or _covered_action(p, denies) or not survives(p):
                continue
            out.append(p)
    return tuple(dict.fromkeys(out))


def _covered_action(pattern: str, deny_patterns: Sequence[str]) -> bool:
    return any(glob_match(d, pattern) for d in deny_patterns)


def is_admin(statements: Sequence[Statement]) -> bool:
    """An unconditional Allow of ``*`` on ``*`` that no unconditional Deny undoes: neither a
    Deny of ``*`` nor a Deny with NotAction (which denies all but a few actions)."""
    def everything(s: Statement) -> bool:
        return (not s.conditional and s.all_resources() and s.not_actions is None
                and "*" in s.actions)

    def undoes(s: Statement) -> bool:
        return not s.allow and (everything(s) or (
            not s.conditional and s.all_resources() and s.not_actions is not None
            and "*" not in s.not_actions))
    return any(s.allow and everything(s) for s in statements) and \
        not any(undoes(s) for s in statements)
