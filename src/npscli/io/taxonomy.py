"""Loading theme taxonomies: the packaged default, a clinic's own TOML file, or the one npscli.toml names.

The matching itself is pure and lives in ``npscli.core.themes``; this module does the file reading.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from npscli.core.errors import ConfigError
from npscli.core.theme_keywords import check_keys
from npscli.core.themes import DEFAULT_ROOT_CAUSES, Taxonomy, ThemeModel
from npscli.io.theme_key import MODEL_FILE, taxonomy_options


def load_configured_taxonomy(settings) -> Taxonomy:
    """The taxonomy of ``[themes] taxonomy = "file.toml"`` in npscli.toml (relative to it), else the default.

    ``[themes] model = true`` decides the packaged themes with the packaged model (see :func:`load_taxonomy`).
    """
    from npscli.core import config_schema as schema

    where = str(settings.config_path) if settings.config_path else None
    schema.require_valid("themes", settings.section("themes"), where)
    return _cached(*taxonomy_options(settings))


@lru_cache(maxsize=4)
def _cached(path: str | None, root_causes: tuple[str, ...], model: bool = True) -> Taxonomy:
    return load_taxonomy(path, root_causes=root_causes, model=model)


_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read the theme taxonomy ({exc.strerror or exc})",
            hint="check the path given for the theme taxonomy",
        ) from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text", hint="save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        # Python 3.14 gives lineno/colno; before that they are only in the message.
        line = getattr(exc, "lineno", None)
        found = _TOML_POSITION.search(str(exc))
        if line is None and found:
            line = int(found.group(1))
        message = _TOML_POSITION.sub("", getattr(exc, "msg", None) or str(exc)).strip()
        where = f"{path}:{line}" if line is not None else str(path)
        raise ConfigError(f"{where}: invalid TOML: {message}", hint="fix the TOML syntax on that line") from None


def _default_data() -> dict[str, Any]:
    text = resources.files("npscli.data").joinpath("themes.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@lru_cache(maxsize=1)
def packaged_model() -> ThemeModel:
    """The theme model shipped with npscli (``npscli/data/theme_model.json``, from ``scripts/train_themes.py``)."""
    text = resources.files("npscli.data").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    return ThemeModel.from_dict(json.loads(text), origin=f"npscli/data/{MODEL_FILE}")


def load_taxonomy(
    path: str | Path | None = None, *, root_causes: Iterable[str] = DEFAULT_ROOT_CAUSES, model: bool = True
) -> Taxonomy:
    """The packaged default taxonomy (``path=None``) or the one in the TOML file at ``path``.

    A file may leave out ``[abusive]`` or ``[context]``; the packaged ones are used then. With
    ``[taxonomy] extend = true`` its themes are added to the default ones (a theme with a default theme's
    code replaces it); otherwise its themes are the whole list.

    The packaged themes are decided by the packaged model (``model=True``, the default), trained on real
    comments; a theme a file adds or replaces matches by its keywords, and so does every theme of a file
    that does not extend the default or that changes ``[context]`` (the model's features depend on it).
    ``model=False``: keywords only, everywhere.
    """
    default = _default_data()
    if path is None:
        taxonomy = Taxonomy.from_dict(default, origin="npscli/data/themes.toml", root_causes=root_causes)
        return taxonomy.with_model(packaged_model()) if model else taxonomy
    path = Path(path)
    data = _read_toml(path)
    options = check_keys(data.get("taxonomy", {}), ("extend",), f"{path}: taxonomy")
    extend = options.get("extend", False)
    if not isinstance(extend, bool):
        raise ConfigError(f"{path}: taxonomy.extend must be true or false")
    merged = {key: value for key, value in data.items() if key != "taxonomy"}
    for section in ("abusive", "context"):
        merged.setdefault(section, default[section])
    if extend:
        themes = dict(default["themes"])
        own = data.get("themes", {})
        if not isinstance(own, Mapping):
            raise ConfigError(f"{path}: themes must be a table of [themes.<code>] tables")
        themes.update(own)
        merged["themes"] = themes
    taxonomy = Taxonomy.from_dict(merged, origin=str(path), root_causes=root_causes)
    if not (model and extend and merged["context"] == default["context"]):
        return taxonomy
    unchanged = [code for code, table in merged["themes"].items() if default["themes"].get(code) == table]
    return taxonomy.with_model(packaged_model().restricted(unchanged))
