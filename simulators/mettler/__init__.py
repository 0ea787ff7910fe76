"""Mettler-Toledo MT-SICS balance with the Quantos powder-dosing subset, over a :class:`DosingPlant`."""

from __future__ import annotations

from simulators.mettler.balance import BalanceConfig
from simulators.mettler.instrument import MettlerConfig, MettlerQuantos
from simulators.mettler.ledger import DoseLedger, DoseRecord
from simulators.mettler.quantos import Door, Fail, QuantosConfig
from simulators.mettler.server import serve_mettler_pty, serve_mettler_tcp
from simulators.mettler.session import MettlerSession

__all__ = [
    "BalanceConfig",
    "Door",
    "DoseLedger",
    "DoseRecord",
    "Fail",
    "MettlerConfig",
    "MettlerQuantos",
    "MettlerSession",
    "QuantosConfig",
    "serve_mettler_pty",
    "serve_mettler_tcp",
]
