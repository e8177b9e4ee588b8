"""The theme taxonomy the settings ask for: `[themes] taxonomy = "path.toml"` or the packaged default."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from npscli.core.errors import ConfigError
from npscli.core.themes import Taxonomy, load_taxonomy


def load_configured_taxonomy(settings) -> Taxonomy:
    section = settings.section("themes")
    path = section.get("taxonomy")
    if path is not None and not isinstance(path, str):
        raise ConfigError(f"{settings.config_path}: `themes.taxonomy` must be a path to a TOML file")
    if path and settings.config_path and not Path(path).is_absolute():
        path = str(Path(settings.config_path).parent / path)
    return _cached(path, tuple(settings.tickets.root_causes))


@lru_cache(maxsize=4)
def _cached(path: str | None, root_causes: tuple[str, ...]) -> Taxonomy:
    return load_taxonomy(path, root_causes=root_causes)
