"""Running a simulated rig as its own process: ``labctl sim serve``, its fault schedule and its ledgers."""
