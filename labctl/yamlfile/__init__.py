"""Input files in YAML: read within hostile-file limits (:mod:`reading`, :mod:`limits`), parsed with the position
of every key and value (:mod:`loading`, :mod:`source_map`), and validated into pydantic models (:mod:`spec`) with
every problem located at ``file:line:column`` (:mod:`problems`).

Protocols, rigs, the checker's thresholds, the MQTT config and fault schedules are all such files; none of them
owns this machinery. Import from the modules: this package imports nothing, so a model that only needs
:class:`spec.Spec` does not pay for the YAML parser.
"""
