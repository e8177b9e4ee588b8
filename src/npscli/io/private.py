"""Folders and files for patient data, private to their owner whatever the umask.

``Path.mkdir(parents=True, mode=0o700)`` gives the mode to the last folder only: the parents it creates get
``0o777 & ~umask``, which under cron's ``umask 000`` on a shared server is everyone's. :func:`private_dir`
creates every missing level 0700 (a folder that already exists keeps its mode: it is the user's).
"""

from __future__ import annotations

import os
from pathlib import Path


def private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents, each readable by its owner only; return ``path``."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:  # made meanwhile (another run): keep it as it is
            continue
    if not path.is_dir():
        raise NotADirectoryError(20, "Not a directory", str(path))
    return path


def write_private_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (mode 0600 whatever the umask) through a temporary file and a rename."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a leftover .tmp from an older run keeps its mode otherwise
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
