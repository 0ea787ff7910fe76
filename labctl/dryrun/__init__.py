"""Dry runs: the real engine and drivers against in-process simulators on real byte streams, fast-forwarded."""
