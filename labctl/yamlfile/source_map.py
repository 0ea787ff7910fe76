"""Where every key and value of a loaded document was written.

Pydantic validates plain data; errors and checker findings name a path into that data. :class:`SourceMap` turns
such a path back into ``file:line:column`` so every message points at the line a person has to edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from labctl.errors import Location

PathKey = str | int
DataPath = tuple[PathKey, ...]


@dataclass
class SourceMap:
    """Positions of the keys and values of one loaded document."""

    file: str
    keys: dict[DataPath, Location] = field(default_factory=dict)
    values: dict[DataPath, Location] = field(default_factory=dict)

    def value_at(self, path: Sequence[PathKey]) -> Location:
        """Where the value at ``path`` starts, or the nearest enclosing place that exists."""
        return self._nearest(tuple(path), self.values)

    def key_at(self, path: Sequence[PathKey]) -> Location:
        """Where the key of ``path`` is written (the line to edit), or the nearest enclosing place."""
        return self._nearest(tuple(path), self.keys)

    def _nearest(self, path: DataPath, table: dict[DataPath, Location]) -> Location:
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            if prefix in table:
                return table[prefix]
            if prefix in self.values:
                return self.values[prefix]
        return Location(self.file, 1, 1)
