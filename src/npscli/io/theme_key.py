"""The fingerprint of the theme matching a configuration gives (kept apart from ``io.taxonomy``: computing it
must not import the matcher, which a listing whose themes are all stored never needs)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from npscli.config import relative_to_config

MODEL_FILE = "theme_model.json"  # the packaged model (npscli/data/), read by io.taxonomy


def taxonomy_options(settings) -> tuple[str | None, tuple[str, ...], bool]:
    """What ``[themes]`` of npscli.toml asks for: the taxonomy file (relative to npscli.toml; None: the packaged
    one), the root causes, whether the packaged model decides. Not validated here (``io.taxonomy`` does that
    before loading): the one reading of the section, for the loader and the fingerprint alike."""
    from npscli.core import config_schema as schema

    section = settings.section("themes")
    path = section.get("taxonomy")
    if path:
        path = relative_to_config(settings.config_path, path)
    model = section.get("model", schema.default("themes", "model"))
    return path or None, tuple(settings.tickets.root_causes), model


def configured_taxonomy_key(settings) -> str | None:
    """A fingerprint of what decides a comment's themes under ``settings``: the taxonomy file (or the packaged
    one), the packaged themes and model, the root causes, the model switch, and npscli's core code. Two equal
    keys match every comment alike, so themes stored at import under one key are the themes the other would
    find (``npscli detractors`` reads them instead of matching again). Reads the files' bytes, compiles nothing;
    None when a file cannot be read (the themes are then matched, and the error reported, as before)."""
    import hashlib

    import npscli
    from npscli import core

    path, root_causes, model = taxonomy_options(settings)
    digest = hashlib.sha256()
    parts: list[bytes] = [npscli.__version__.encode(), repr((bool(model), root_causes)).encode()]
    data = resources.files("npscli.data")
    try:
        if path:
            parts.append(Path(path).read_bytes())
        parts.append(data.joinpath("themes.toml").read_bytes())
        if model:
            parts.append(data.joinpath(MODEL_FILE).read_bytes())
        # the matcher's code: all of npscli.core (a change anywhere there matches again, never wrongly reuses)
        parts.extend(module.read_bytes() for module in sorted(Path(core.__file__).parent.glob("*.py")))
    except OSError:
        return None
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()[:32]
