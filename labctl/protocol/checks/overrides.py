"""Overrides that mean something: the rule named, a reason, and two approvers who are not the author. A rule that
protects against loss of control is not overridable at all, whoever signs."""

from __future__ import annotations

import difflib
import re
from dataclasses import replace

from labctl.protocol.checks.context import CheckContext
from labctl.protocol.checks.findings import RULES, Finding, Severity, error
from labctl.protocol.model import Override

_ASIDE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
# Titles and post-nominals say nothing about who signs: 'Dr. A. Safety' and 'Safety, A., PhD' are one person.
_HONOURS = frozenset(
    {
        "dr", "prof", "mr", "mrs", "ms", "mx", "sir", "dame", "phd", "dphil", "md", "msc", "bsc", "ba", "ma",
        "mba", "mphil", "frsc", "cchem", "mrsc", "eng", "ing", "dipl", "jr", "sr", "ii", "iii", "esq", "qa", "qc",
    }
)  # fmt: skip
_DISTINCT = 3  # a shared word this long (a surname, a team's name) may be the same person


def person(name: str) -> frozenset[str]:
    """The words of a name that say who it is, lower-cased, in any order."""
    words = re.findall(r"[^\W\d_]+", _ASIDE.sub(" ", name).casefold())
    return frozenset(w for w in words if w not in _HONOURS)


_PLACEHOLDERS = frozenset(
    {"tbd", "tba", "tbc", "pending", "na", "n", "a", "none", "nobody", "todo", "xxx", "x", "unknown"}
)
_CLOSE = 0.8  # 'Saftey' is 'Safety' misspelt


def same_person(a: str, b: str) -> bool:
    """Fail closed: two names that share (or nearly share) a surname-length word, one that is the other's
    initials ('AS' for A. Safety, 'LPT' for labctl process team), or that say nothing else may be one person."""
    left, right = person(a), person(b)
    if left == right or _initials(left, right) or _initials(right, left):
        return True
    return any(
        len(x) >= _DISTINCT and len(y) >= _DISTINCT and difflib.SequenceMatcher(None, x, y).ratio() >= _CLOSE
        for x in left
        for y in right
    )


def _initials(short: frozenset[str], full: frozenset[str]) -> bool:
    """A one-word name made of the other's initials, in any order."""
    if len(short) != 1 or len(full) < 2:
        return False
    (word,) = short
    return sorted(word) == sorted(w[0] for w in full)


def not_a_name(name: str) -> bool:
    """'TBD', 'pending', 'n/a': a placeholder is nobody's signature."""
    words = person(name)
    return not words or words <= _PLACEHOLDERS


def approval_problem(ctx: CheckContext, override: Override) -> str | None:
    author = ctx.protocol.metadata.author
    names = override.approved_by
    placeholders = [n for n in names if not_a_name(n)]
    if placeholders:
        return f"{', '.join(repr(n) for n in placeholders)} is no one's name: an override is approved by two named people"
    if any(same_person(author, n) for n in names):
        return f"the author ({author}) cannot approve an override of their own protocol"
    distinct: list[str] = []
    for name in names:
        if not any(same_person(name, d) for d in distinct):
            distinct.append(name)
    if len(distinct) < 2:
        said = ", ".join(repr(n) for n in names) or "nobody"
        return (
            f"an override needs two approvers, neither of them the author; {said} may be "
            f"{len(distinct)} {'person' if len(distinct) == 1 else 'people'}: name two people unmistakably"
        )
    return None


def apply_overrides(ctx: CheckContext, findings: list[Finding]) -> list[Finding]:
    """Findings of a rule with a valid override become acknowledged, with who approved it and why."""
    valid = {
        o.rule: o for o in ctx.protocol.overrides if _overridable(o) and approval_problem(ctx, o) is None
    }

    def acknowledged(finding: Finding) -> Finding:
        override = valid.get(finding.rule)
        if override is None or not finding.severity.fails:
            return finding
        note = f"[{finding.severity} acknowledged by {' and '.join(override.approved_by)}: {override.reason}]"
        return replace(finding, severity=Severity.ACKNOWLEDGED, message=f"{finding.message} {note}")

    return [acknowledged(f) for f in findings]


def _overridable(override: Override) -> bool:
    rule = RULES.get(override.rule)
    return rule is not None and rule.overridable


def check_overrides(ctx: CheckContext) -> list[Finding]:
    findings = []
    for k, override in enumerate(ctx.protocol.overrides):
        rule = RULES.get(override.rule)
        if rule is None:
            findings.append(error("OVERRIDE-UNKNOWN", f"no rule '{override.rule}'", ("overrides", k, "rule")))
        elif not rule.overridable:
            findings.append(
                error(
                    "OVERRIDE-UNKNOWN",
                    f"rule '{rule.id}' protects against harm and cannot be overridden",
                    ("overrides", k, "rule"),
                )
            )
        elif (problem := approval_problem(ctx, override)) is not None:
            findings.append(error("OVERRIDE-APPROVAL", problem, ("overrides", k, "approved_by")))
    return findings
