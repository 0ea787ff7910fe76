"""`labctl monitor`: every rig on a broker, from the same topic tree labctl publishes."""
