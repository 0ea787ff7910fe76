"""Huber thermostat simulator, instrument side: one unit model (:mod:`.thermostat`) behind two wire front ends,
the PB line protocol (:mod:`.pb`) and Modbus TCP (:mod:`.modbus`); wire faults are :class:`simulators.serving.WireFaults`."""
