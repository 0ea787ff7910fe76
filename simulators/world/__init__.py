"""One lumped physics model that every simulated instrument acts on (process-model §2)."""

from simulators.world.config import MINUS_40_CLASS, MINUS_50_CLASS, CoolingCurve, WorldConfig
from simulators.world.world import World

__all__ = ["MINUS_40_CLASS", "MINUS_50_CLASS", "CoolingCurve", "World", "WorldConfig"]
