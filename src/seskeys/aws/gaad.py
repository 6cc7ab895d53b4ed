"""``GetAccountAuthorizationDetails`` pages (live or from the AWS CLI's JSON) → users, groups,
policies.

Policies are matched by ARN (moto omits ``PolicyName``). Documents are kept decoded; a document
that cannot be decoded is kept as ``None`` with a problem note, so its absence is visible.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from seskeys.aws.credreport import ReportFormatError, parse_time
from seskeys.aws.policy import PolicyError, decode_document
from seskeys.aws.snapshot import Group, InlinePolicy, ManagedPolicy, User
from seskeys.errors import InputError

PAGE_KEYS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


@dataclass(frozen=True)
class Inventory:
    users: dict[str, User]
    groups: dict[str, Group]
    policies: dict[str, ManagedPolicy]
    problems: tuple[str, ...]


def _decoded(value: Any, where: str, problems: list[str]) -> dict[str, Any] | None:
    try:
        return decode_document(value)
    except PolicyError as exc:
        problems.append(f"{where}: {exc}")
        return None


def _inline(items: Iterable[Mapping[str, Any]], owner: str,
            problems: list[str]) -> tuple[InlinePolicy, ...]:
    out = []
    for item in items or ():
        name = str(item.get("PolicyName", "?"))
        out.append(InlinePolicy(name, _decoded(item.get("PolicyDocument"),
                                               f"inline policy {name} of {owner}", problems)))
    return tuple(out)


def _attached(items: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    return tuple(str(i["PolicyArn"]) for i in items or () if i.get("PolicyArn"))


def _time(value: Any, where: str, problems: list[str]) -> Any:
    try:
        return parse_time(value)
    except ReportFormatError:
        problems.append(f"{where}: unreadable CreateDate {str(value)[:30]!r}")
        return None


def _user(u: Mapping[str, Any], problems: list[str]) -> User:
    name = str(u["UserName"])
    return User(name=name, arn=str(u.get("Arn", "")), user_id=u.get("UserId"),
                created=_time(u.get("CreateDate"), f"user {name}", problems),
                groups=tuple(str(g) for g in u.get("GroupList") or ()),
                inline=_inline(u.get("UserPolicyList") or (), f"user {name}", problems),
                attached=_attached(u.get("AttachedManagedPolicies") or ()))


def _group(g: Mapping[str, Any], problems: list[str]) -> Group:
    name = str(g["GroupName"])
    return Group(name=name, arn=str(g.get("Arn", "")),
                 inline=_inline(g.get("GroupPolicyList") or (), f"group {name}", problems),
                 attached=_attached(g.get("AttachedManagedPolicies") or ()))


def _default_document(p: Mapping[str, Any], problems: list[str]) -> dict[str, Any] | None:
    versions = p.get("PolicyVersionList") or []
    chosen = next((v for v in versions if v.get("IsDefaultVersion")), None)
    if chosen is None:
        chosen = next((v for v in versions if v.get("VersionId") == p.get("DefaultVersionId")),
                      None)
    if chosen is None:
        problems.append(f"policy {p.get('Arn')}: no default version in the input")
        return None
    return _decoded(chosen.get("Document"), f"policy {p.get('Arn')}", problems)


def managed_policy(p: Mapping[str, Any], problems: list[str]) -> ManagedPolicy:
    arn = str(p["Arn"])
    name = str(p.get("PolicyName") or arn.rsplit("/", 1)[-1])
    return ManagedPolicy(arn=arn, name=name, document=_default_document(p, problems))


def parse_pages(pages: Iterable[Mapping[str, Any]]) -> Inventory:
    """Merge every page; a malformed entry is an input error naming what is wrong."""
    users: dict[str, User] = {}
    groups: dict[str, Group] = {}
    policies: dict[str, ManagedPolicy] = {}
    problems: list[str] = []
    for n, page in enumerate(pages, start=1):
        if not isinstance(page, Mapping) or not any(k in page for k in PAGE_KEYS):
            raise InputError(f"authorization details page {n} is not the output of "
                             "get-account-authorization-details")
        where = "UserDetailList"
        try:
            for u in page.get("UserDetailList") or []:
                user = _user(u, problems)
                users[user.name] = user
            where = "GroupDetailList"
            for g in page.get("GroupDetailList") or []:
                group = _group(g, problems)
                groups[group.name] = group
            where = "Policies"
            for p in page.get("Policies") or []:
                policy = managed_policy(p, problems)
                policies[policy.arn] = policy
        except KeyError as exc:
            raise InputError(f"authorization details page {n}: an entry of {where} lacks "
                             f"{exc}") from None
        except (TypeError, AttributeError):
            raise InputError(f"authorization details page {n}: {where} holds a value of the "
                             "wrong type (not what `aws iam get-account-authorization-details` "
                             "writes)") from None
    return Inventory(users, groups, policies, tuple(problems))


_LISTS = frozenset({"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"})


def pages_from_json(document: Any) -> list[Mapping[str, Any]]:
    """The AWS CLI writes one merged object; SDK dumps may hold a list of pages."""
    pages = [document] if isinstance(document, Mapping) else document
    if not isinstance(pages, list):
        raise InputError("authorization details must be a JSON object or a list of pages")
    if not any(isinstance(p, Mapping) and _LISTS & set(p) for p in pages):
        raise InputError("authorization details hold no UserDetailList, GroupDetailList, "
                         "RoleDetailList or Policies: not the output of `aws iam "
                         "get-account-authorization-details`")
    return pages
