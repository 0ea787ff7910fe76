"""MQTT for a run: the topic tree, the publisher that follows the journal, and the command intake."""
