"""Who may read the data folder: only the bot's own user.

The files hold residents' names, phone numbers and addresses, so the folder is created
``0700`` and every file the store writes in it ``0600`` (snapshot files, journal, lock,
temp files, set-aside copies, archives). A folder or file found with looser modes (made by
an older version, copied in by hand, or under a permissive umask) is tightened when the
store opens, and that is logged once. The market office's own documents kept in the same
folder (``markets.yaml``, ``catalog.yaml``, ``README.md``, sub-folders other than
``archive/``: edited by people, tracked in git) keep their modes; the folder's ``0700``
covers them.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

FOLDER_MODE = 0o700
FILE_MODE = 0o600
OFFICE_DOCUMENTS = frozenset({".yaml", ".yml", ".md"})


def private_folder(path: Path) -> None:
    """Create ``path`` (and missing parents) with the folder itself ``0700``."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)


def loose(folder: Path) -> list[Path]:
    """The folder, ``archive/`` and the store's files in them that others can read or
    write (looking only: nothing is changed); none while the folder holds no such file."""
    walked = _walk(folder)
    if all(wanted == FOLDER_MODE for _, wanted in walked):
        return []  # no data yet (the store makes the folder private when it starts)
    found = []
    for path, wanted in walked:
        try:
            mode = path.lstat().st_mode
        except OSError:  # gone meanwhile, or not ours to look at
            continue
        if stat.S_IMODE(mode) & ~wanted & 0o777:
            found.append(path)
    return found


def tighten(folder: Path) -> list[Path]:
    """Take group and other permissions off everything `loose` finds; log it once."""
    changed = []
    for path in loose(folder):
        wanted = FOLDER_MODE if path.is_dir() else FILE_MODE
        try:
            os.chmod(path, stat.S_IMODE(path.lstat().st_mode) & wanted)
        except OSError as exc:
            log.warning("could not make %s private (%s)", path, exc)
            continue
        changed.append(path)
    if changed:
        log.warning(
            "the data folder %s was readable by other users: made %d folder(s) 0700 and "
            "file(s) 0600 (%s)", folder, len(changed),
            ", ".join(str(p.relative_to(folder)) or "." for p in changed[:10])
            + (", ..." if len(changed) > 10 else ""),
        )
    return changed


def _walk(folder: Path) -> list[tuple[Path, int]]:
    """(path, the mode it may have at most) for the folder, ``archive/`` and their files
    (other sub-folders are the office's; symbolic links are left alone)."""
    found: list[tuple[Path, int]] = []
    archive = folder / "archive"
    folders = [folder] + ([archive] if archive.is_dir() and not archive.is_symlink() else [])
    for directory in folders:
        found.append((directory, FOLDER_MODE))
        try:
            entries = list(directory.iterdir())
        except OSError:
            continue
        for path in sorted(entries):
            if path.is_symlink() or not path.is_file():
                continue
            if path.suffix.lower() in OFFICE_DOCUMENTS or _temp(path.name):
                continue
            found.append((path, FILE_MODE))
    return found


def _temp(name: str) -> bool:
    """A crash's temp file (`atomic.TEMP_MARK`): removed at open, not worth a finding."""
    return name.startswith(".") and ".tmp-" in name
