"""Ismatec Reglo ICC peristaltic pump over a :class:`PumpPlant`."""

from __future__ import annotations

from simulators.reglo.ledger import RunLedger, RunRecord
from simulators.reglo.numbers import format_type1, parse_discrete2, parse_type2
from simulators.reglo.pump import Channel, RegloICC, max_flow_ml_min
from simulators.reglo.server import serve_reglo_pty, serve_reglo_tcp
from simulators.reglo.session import RegloSession

__all__ = [
    "Channel",
    "RegloICC",
    "RegloSession",
    "RunLedger",
    "RunRecord",
    "format_type1",
    "max_flow_ml_min",
    "parse_discrete2",
    "parse_type2",
    "serve_reglo_pty",
    "serve_reglo_tcp",
]
