"""Rig files: which instrument fills each role, where it is connected, and what it can do."""

from labctl.rig.loader import LoadedRig, load_rig, parse_rig
from labctl.rig.model import ChillerCapabilities, Instrument, Instruments, Rig

__all__ = ["ChillerCapabilities", "Instrument", "Instruments", "LoadedRig", "Rig", "load_rig", "parse_rig"]
