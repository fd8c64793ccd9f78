#!/usr/bin/env python3
"""Replay the Dockerfile's install steps in clean virtual environments, without a container engine.

    python3.11 scripts/replay_dockerfile.py DEST            # replay into the empty folder DEST
    python3.11 scripts/replay_dockerfile.py --dry-run       # only say what would be replayed

Each stage (FROM) becomes a fresh venv of this Python in DEST/<stage>/venv, standing in for the
base image's Python, and a folder DEST/<stage>/root standing in for its file system. COPY copies
from the build context (honouring .dockerignore) or, with --from, out of an earlier stage's
folder. RUN lines that install (pip and python commands) run in the WORKDIR with the venv first
on PATH and the stage's ENV set; the one that creates the unprivileged user and its folders is
system set-up and is skipped. Any other instruction or RUN line stops the replay before anything
runs: it could not vouch for the image. pip's cache and index settings come from this
environment (they change how fast, not what, pip installs).

Prints JSON on stdout: each stage's bin folder (its venv's) and workdir, the final stage's name,
CMD and ENV, and the RUN lines replayed and skipped.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import venv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INSTALLERS = {"pip", "python", "rm"}
SYSTEM_SETUP = {"groupadd", "useradd", "mkdir", "chown"}
IGNORED_INSTRUCTIONS = {"EXPOSE", "USER", "LABEL"}
# The outer environment's own settings must not leak into the image's build.
DROPPED_ENV = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP"}
DROPPED_PREFIXES = ("PORTAL_", "AWS_")
# pip's cache makes the replay quick and installs the same files.
KEPT_OUTER_ENV = {"PIP_NO_CACHE_DIR"}


class ReplayError(Exception):
    """The Dockerfile holds something the replay cannot reproduce faithfully."""


@dataclass
class Step:
    """One instruction, in the stage it belongs to; RUN steps know whether they are replayed."""

    keyword: str
    arguments: str
    stage: str
    replayed: bool = True


@dataclass
class Stage:
    name: str
    base: Path
    workdir: str = "/"
    env: dict[str, str] = field(default_factory=dict)
    cmd: list[str] = field(default_factory=list)

    @property
    def root(self) -> Path:
        return self.base / "root"

    @property
    def bin(self) -> Path:
        return self.base / "venv" / "bin"

    def path(self, container_path: str) -> Path:
        """Where a path inside this stage's file system lives on this machine."""
        absolute = os.path.normpath(os.path.join(self.workdir, container_path))
        return self.root / absolute.lstrip("/")


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    joined: list[str] = []
    pending = ""
    for line in text.splitlines():
        if (not line.strip() and not pending) or line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    if pending:
        raise ReplayError("the Dockerfile ends inside a continued line")
    result = []
    for line in joined:
        keyword, _, arguments = line.strip().partition(" ")
        result.append((keyword.upper(), " ".join(arguments.split())))
    return result


def plan(text: str) -> list[Step]:
    """Every instruction checked before anything runs: a step that cannot be replayed stops here."""
    steps: list[Step] = []
    stages: list[str] = []
    for keyword, arguments in instructions(text):
        if keyword == "FROM":
            image, *rest = arguments.split()
            if not re.fullmatch(r"python:\d+\.\d+[-.\w]*", image):
                raise ReplayError(f"FROM {image}: only python:X.Y images are replayed")
            stages.append(
                rest[1] if len(rest) == 2 and rest[0].upper() == "AS" else str(len(stages))
            )
        elif not stages:
            raise ReplayError(f"{keyword} before FROM")
        elif keyword == "COPY":
            check_copy(arguments, stages[:-1])
        elif keyword == "RUN":
            steps.append(Step(keyword, arguments, stages[-1], replayed=check_run(arguments)))
            continue
        elif keyword not in {"ENV", "WORKDIR", "CMD"} | IGNORED_INSTRUCTIONS:
            raise ReplayError(f"{keyword} is not replayed")
        steps.append(Step(keyword, arguments, stages[-1]))
    if not stages:
        raise ReplayError("the Dockerfile has no FROM")
    return steps


def check_copy(arguments: str, earlier_stages: list[str]) -> None:
    paths = [w for w in shlex.split(arguments) if not w.startswith("--")]
    if len(paths) < 2 or arguments.lstrip().startswith("["):
        raise ReplayError(f"COPY {arguments}: only the shell form with sources and a destination")
    for flag in (w for w in shlex.split(arguments) if w.startswith("--")):
        name, _, value = flag[2:].partition("=")
        if name == "from" and value not in earlier_stages:
            raise ReplayError(f"COPY --from={value}: no earlier stage of that name")
        if name not in ("from", "chown", "chmod"):
            raise ReplayError(f"COPY {flag} is not replayed")


def check_run(arguments: str) -> bool:
    """True for an install step (replayed), False for the user's set-up (skipped)."""
    if arguments.startswith("["):
        raise ReplayError(f"RUN {arguments}: only the shell form is replayed")
    commands = [shlex.split(part) for part in re.split(r"&&|;", arguments)]
    programs = {command[0] for command in commands if command}
    if programs <= SYSTEM_SETUP:
        return False
    if not programs <= INSTALLERS:
        raise ReplayError(f"RUN {arguments}: only pip and python steps are replayed")
    for command in commands:
        absolute = [word for word in command[1:] if word.startswith("/")]
        if absolute:
            raise ReplayError(f"RUN {arguments}: {absolute[0]} is outside WORKDIR")
    return True


def dockerignore_patterns(context: Path) -> list[re.Pattern[str]]:
    """.dockerignore as regular expressions on context-relative POSIX paths."""
    ignore_file = context / ".dockerignore"
    if not ignore_file.exists():
        return []
    patterns = []
    for line in ignore_file.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("!"):
            raise ReplayError(f".dockerignore exceptions are not replayed: {line}")
        regex = ""
        for segment in line.strip("/").split("/"):
            if segment == "**":
                regex += "(?:.*/)?"
                continue
            regex += "".join(
                "[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c) for c in segment
            )
            regex += "/"
        patterns.append(re.compile(regex.removesuffix("/")))
    return patterns


def ignored(relative: str, patterns: list[re.Pattern[str]]) -> bool:
    """Docker leaves a path out when it, or a folder above it, matches a pattern."""
    pieces = relative.split("/")
    prefixes = ["/".join(pieces[: i + 1]) for i in range(len(pieces))]
    return any(p.fullmatch(prefix) for p in patterns for prefix in prefixes)


def copy(
    sources: list[Path], destination: Path, keep: Callable[[Path], bool], into_folder: bool
) -> None:
    """Docker's COPY: a folder's contents go into the destination; files go into it or become it."""
    for source in sources:
        if source.is_dir():
            for path in sorted(source.rglob("*")):
                if path.is_file() and keep(path):
                    target = destination / path.relative_to(source)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, target)
        elif keep(source):
            target = destination / source.name if into_folder else destination
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def run_copy(arguments: str, stage: Stage, stages: dict[str, Stage], context: Path) -> None:
    words = shlex.split(arguments)
    *sources, destination = [w for w in words if not w.startswith("--")]
    source_stage = next((stages[w[7:]] for w in words if w.startswith("--from=")), None)
    if source_stage is not None:
        found = [Path(p) for s in sources for p in sorted(glob.glob(str(source_stage.path(s))))]

        def keep(_path: Path) -> bool:
            return True

    else:
        patterns = dockerignore_patterns(context)
        found = [Path(p) for s in sources for p in sorted(glob.glob(str(context / s)))]

        def keep(path: Path) -> bool:
            return not ignored(path.relative_to(context).as_posix(), patterns)

    if not found:
        raise ReplayError(f"COPY {arguments}: nothing matches the sources")
    into_folder = destination.endswith("/") or len(found) > 1
    copy(found, stage.path(destination), keep, into_folder)


def run_shell(arguments: str, stage: Stage) -> None:
    workdir = stage.path(".")
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in DROPPED_ENV and not k.startswith(DROPPED_PREFIXES)
    }
    env.update({k: v for k, v in stage.env.items() if k not in KEPT_OUTER_ENV})
    env["PATH"] = f"{stage.bin}{os.pathsep}{os.environ.get('PATH', '')}"
    print(f"[{stage.name}] RUN {arguments}", file=sys.stderr, flush=True)
    # stdout carries only the JSON result.
    result = subprocess.run(
        ["sh", "-c", arguments], cwd=workdir, env=env, stdout=sys.stderr, check=False
    )
    if result.returncode != 0:
        raise ReplayError(f"RUN {arguments}: exit status {result.returncode}")


def parse_env(arguments: str) -> dict[str, str]:
    words = shlex.split(arguments)
    if words and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}
    return dict(word.split("=", 1) for word in words)


def replay(steps: list[Step], context: Path, dest: Path) -> dict[str, Any]:
    """Run the planned steps into DEST; where each stage ended up, for the caller to run from."""
    stages: dict[str, Stage] = {}
    for step in steps:
        if step.stage not in stages:
            stages[step.stage] = Stage(name=step.stage, base=dest / step.stage)
            stages[step.stage].root.mkdir(parents=True)
            venv.create(stages[step.stage].base / "venv", with_pip=True)
        stage = stages[step.stage]
        if step.keyword == "ENV":
            stage.env.update(parse_env(step.arguments))
        elif step.keyword == "WORKDIR":
            stage.workdir = os.path.normpath(os.path.join(stage.workdir, step.arguments))
        elif step.keyword == "COPY":
            run_copy(step.arguments, stage, stages, context)
        elif step.keyword == "RUN" and step.replayed:
            run_shell(step.arguments, stage)
        elif step.keyword == "CMD":
            stage.cmd = json.loads(step.arguments)
    final = stages[steps[-1].stage]
    return {
        "stages": {
            s.name: {"bin": str(s.bin), "workdir": str(s.path("."))} for s in stages.values()
        },
        "image": final.name,
        "cmd": final.cmd,
        "env": final.env,
    }


def python_of(text: str) -> tuple[int, int]:
    """The Python version of the final stage's base image."""
    version = re.findall(r"^FROM python:(\d+)\.(\d+)", text, re.MULTILINE)[-1]
    return int(version[0]), int(version[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, nargs="?", help="an empty or missing folder")
    parser.add_argument("--dockerfile", type=Path, default=ROOT / "Dockerfile")
    parser.add_argument("--context", type=Path, default=ROOT)
    parser.add_argument("--dry-run", action="store_true", help="check and list the steps only")
    args = parser.parse_args()
    text = args.dockerfile.read_text(encoding="utf-8")
    try:
        steps = plan(text)
    except ReplayError as exc:
        sys.exit(f"replay_dockerfile: {exc}")
    runs = [s for s in steps if s.keyword == "RUN"]
    result: dict[str, Any] = {
        "replayed": [s.arguments for s in runs if s.replayed],
        "skipped": [s.arguments for s in runs if not s.replayed],
    }
    if not args.dry_run:
        if args.dest is None:
            parser.error("DEST is needed unless --dry-run")
        if python_of(text) != sys.version_info[:2]:
            sys.exit("replay_dockerfile: run it with the Python of the Dockerfile's FROM line")
        if args.dest.exists() and any(args.dest.iterdir()):
            sys.exit(f"replay_dockerfile: {args.dest} is not empty")
        try:
            result |= replay(steps, args.context.resolve(), args.dest.resolve())
        except ReplayError as exc:
            sys.exit(f"replay_dockerfile: {exc}")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
