"""Home Assistant MQTT discovery: the rig's sensors appear in Home Assistant without hand setup.

One device per rig; each numeric signal a sensor bound to its `telemetry/<signal>` topic, the run state a sensor
on `status`, the instruments' links binary sensors. Availability follows the retained status (and so the last
will): a lost controller greys the device out instead of freezing its last values.
"""

from __future__ import annotations

import json
from typing import Any

from labctl.telemetry.topics import Outgoing, Topics

PREFIX = "homeassistant"

_SENSORS: dict[str, tuple[str, str, str | None]] = {
    "Tr_C": ("Reactor temperature", "°C", "temperature"),
    "Tj_C": ("Jacket temperature", "°C", "temperature"),
    "Tset_C": ("Setpoint", "°C", "temperature"),
    "MTSR_C": ("MTSR estimate", "°C", "temperature"),
    "dTr_dt_K_min": ("Reactor temperature rate", "K/min", None),
    "balance_g": ("Balance", "g", "weight"),
    "unreacted_mol": ("Unreacted oxidant", "mol", None),
    "mgbr_lost_pct": ("MgBr lost (model)", "%", None),
    "stirrer_rpm": ("Stirrer speed", "rpm", None),
    "stirrer_torque_Ncm": ("Stirrer torque", "N·cm", None),
}
_LINKS = {"chiller_online": "Chiller link", "doser_online": "Doser link", "stirrer_online": "Stirrer link"}


def discovery(topics: Topics) -> list[Outgoing]:
    rig = topics.rig
    device = {
        "identifiers": [f"labctl_{rig}"],
        "name": f"labctl {rig}",
        "manufacturer": "labctl",
        "model": "bench rig",
    }
    common = {
        "device": device,
        "availability_topic": topics.status,
        "availability_template": "{{ 'online' if value_json.online else 'offline' }}",
    }
    out = [
        _config(
            "sensor",
            rig,
            signal,
            {
                **common,
                "name": name,
                "state_topic": topics.signal(signal),
                "unit_of_measurement": unit,
                "state_class": "measurement",
                # an empty payload is "no reading": unknown in Home Assistant, never 0
                "value_template": "{{ value | float(None) }}",
                **({"device_class": device_class} if device_class else {}),
            },
        )
        for signal, (name, unit, device_class) in _SENSORS.items()
    ]
    out += [
        _config(
            "binary_sensor",
            rig,
            signal,
            {
                **common,
                "name": name,
                "state_topic": topics.signal(signal),
                "payload_on": "true",
                "payload_off": "false",
                "device_class": "connectivity",
            },
        )
        for signal, name in _LINKS.items()
    ]
    out.append(
        _config(
            "sensor",
            rig,
            "run_state",
            {
                "device": device,  # no availability: a lost controller must show as "lost", not unavailable
                "name": "Run state",
                "state_topic": topics.status,
                "value_template": "{{ value_json.state }}",
                "json_attributes_topic": topics.status,
            },
        )
    )
    return out


def _config(component: str, rig: str, signal: str, body: dict[str, Any]) -> Outgoing:
    unique = f"labctl_{rig}_{signal}".replace("-", "_").replace(".", "_")
    payload = {**body, "unique_id": unique, "object_id": unique}
    topic = f"{PREFIX}/{component}/{unique}/config"
    return Outgoing(topic, json.dumps(payload, sort_keys=True).encode(), 1, True)
