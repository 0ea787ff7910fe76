"""The instrument side of each wire protocol, and the physics world they act on.

Simulators are written from the manuals, independently of ``devices/`` (they never import it): a driver and its
simulator are two readings of the same manual, so a test between them can catch a misreading.
"""
