"""The orchestrator: runs a checked protocol on a rig, step by step, under supervision and interlocks."""
