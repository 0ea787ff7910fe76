"""`labctl runs` and `labctl export`: the journal's runs for people and for the lab's own analysis."""
