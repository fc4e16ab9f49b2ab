"""encircle-sim: an agent-based simulation of an encirclement campaign in the Iraq-Syria desert."""

__version__ = "0.1.0"
