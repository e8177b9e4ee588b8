"""The fingerprint of the theme matching a configuration gives (kept apart from ``io.taxonomy``: computing it
must not import the matcher, which a listing whose themes are all stored never needs)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from npscli.config import relative_to_config

MODEL_FILE = "theme_model.json"  # the packaged model (npscli/data/), read by io.taxonomy
# The code a comment's themes depend on besides the taxonomy and the model (their bytes go into the key below).
_MATCHER_MODULES = ("themes.py", "theme_text.py", "theme_model.py", "theme_keywords.py", "names.py", "language.py")


def configured_taxonomy_key(settings) -> str | None:
    """A fingerprint of what decides a comment's themes under ``settings``: the taxonomy file (or the packaged
    one), the packaged themes and model, the root causes, the model switch, and npscli's matcher code. Two equal
    keys match every comment alike, so themes stored at import under one key are the themes the other would
    find (``npscli detractors`` reads them instead of matching again). Reads the files' bytes, compiles nothing;
    None when a file cannot be read (the themes are then matched, and the error reported, as before)."""
    import hashlib

    import npscli
    from npscli import core
    from npscli.core import config_schema as schema

    section = settings.section("themes")
    digest = hashlib.sha256()
    path = section.get("taxonomy")
    model = section.get("model", schema.default("themes", "model"))
    options = repr((bool(model), tuple(settings.tickets.root_causes)))
    parts: list[bytes] = [npscli.__version__.encode(), options.encode()]
    data = resources.files("npscli.data")
    try:
        if path:
            parts.append(Path(relative_to_config(settings.config_path, path)).read_bytes())
        parts.append(data.joinpath("themes.toml").read_bytes())
        if model:
            parts.append(data.joinpath(MODEL_FILE).read_bytes())
        folder = Path(core.__file__).parent
        parts.extend((folder / name).read_bytes() for name in _MATCHER_MODULES if (folder / name).exists())
    except OSError:
        return None
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()[:32]
