"""Overrides that mean something: the rule named, a reason, and two approvers who are not the author. A rule that
protects against loss of control is not overridable at all, whoever signs."""

from __future__ import annotations

import re
from dataclasses import replace

from labctl.protocol.checks.context import CheckContext
from labctl.protocol.checks.findings import RULES, Finding, Severity, error
from labctl.protocol.model import Override

_TITLES = re.compile(r"\b(dr|prof|mr|mrs|ms|mx|sir|dame)\b\.?", re.IGNORECASE)


def person(name: str) -> str:
    """One key per person however the name is written: 'Dr. A. Safety' and 'a safety' are one approver."""
    return re.sub(r"[\W_]+", "", _TITLES.sub("", name).casefold())


def approval_problem(ctx: CheckContext, override: Override) -> str | None:
    approvers = {person(n) for n in override.approved_by}
    if person(ctx.protocol.metadata.author) in approvers:
        return f"the author ({ctx.protocol.metadata.author}) cannot approve an override of their own protocol"
    if len(approvers) < 2:
        return f"an override needs two approvers, neither of them the author; it names {len(approvers)}"
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
