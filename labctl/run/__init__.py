"""Real runs: `labctl run` on a rig file's instruments and `labctl resume` after a crash."""
