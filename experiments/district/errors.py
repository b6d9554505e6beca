"""The importer's one error: a file and, where there is one, the feature at fault."""

from __future__ import annotations

from sim.params import ConfigError


class DistrictError(ConfigError):
    """A planner's file that cannot make a district, as one line naming the file and the
    feature: ``grids.geojson: feature 3 ('Riverside'): self-intersecting polygon``. A
    ConfigError, so every command reports it with exit status 2."""

    def __init__(self, path: str, message: str, feature: str = "") -> None:
        if feature:
            super().__init__(feature, message, path)
        else:
            super().__init__(path, message)
            self.key, self.source = "", path
