"""Fixtures for the writer, save and restore tests: a fresh demo SAN per test."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sanctl.sim.writer import SimWriter

CFS = "sys/kernel/config/target"


@pytest.fixture
def writer(demo) -> SimWriter:
    import random

    return SimWriter(str(demo), rng=random.Random(7), lock_timeout=0.3)


def snapshot(root: Path | str) -> dict[str, tuple]:
    """Every entry under configfs: path -> (kind, mode, content or link target)."""
    base = os.path.join(root, CFS)
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(base):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            rel = os.path.relpath(path, base)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("l", None, os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("d", stat.S_IMODE(st.st_mode), None)
            else:
                out[rel] = ("f", stat.S_IMODE(st.st_mode), Path(path).read_bytes())
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
    return out


def changed_paths(before: dict, after: dict) -> list[str]:
    return sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))


class LockHolder:
    """A child process holding targetcli's lock with flock, as targetcli does."""

    def __init__(self, path: str) -> None:
        code = textwrap.dedent(f"""
            import fcntl, sys, time
            f = open({path!r}, "w+")
            fcntl.flock(f, fcntl.LOCK_EX)
            print("locked", flush=True)
            sys.stdin.read()
        """)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.proc = subprocess.Popen([sys.executable, "-c", code, "targetcli-lookalike"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "locked"

    def release(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


@pytest.fixture
def lock_holder():
    holders = []

    def start(path: str) -> LockHolder:
        h = LockHolder(path)
        holders.append(h)
        return h

    yield start
    for h in holders:
        if h.proc.poll() is None:
            h.release()


def canonical(value):
    """A saveconfig dictionary with every list sorted: the kernel lists directories in creation order."""
    import json

    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value
