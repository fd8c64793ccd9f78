"""Package count and installed size of the portal's runtime closure, before and after the dev extra.

    .venv/bin/python bench/install_footprint.py [--before acf8e2e] [--after HEAD]

Each revision is exported with `git archive` and installed non-editable into a fresh venv with
that revision's own constraints.txt: BEFORE with no extras (at acf8e2e moto[server] and
oidc-provider-mock were runtime dependencies), AFTER with no extras (the production closure the
image gets) and AFTER with the `dev` extra (what a developer's `portal dev` needs). Counts leave
out pip and setuptools (the venv's own) and the portal itself; sizes add up the files each
distribution's RECORD lists, bytecode compiled at install time included.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEASURE = """
import importlib.metadata as m, json
sizes = {}
for d in m.distributions():
    files = [f.locate() for f in d.files or []]
    sizes[d.metadata["Name"].lower()] = sum(p.stat().st_size for p in files if p.is_file())
print(json.dumps(sizes))
"""
NOT_COUNTED = {"pip", "setuptools", "cognito-tenant-portal"}


def install(revision: str, extras: str, workdir: Path) -> dict[str, int]:
    """Bytes per distribution installed by `pip install <revision>[extras] -c constraints.txt`."""
    source = workdir / f"src-{revision}"
    if not source.exists():
        source.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", revision], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    target = workdir / f"venv-{revision}-{extras or 'none'}"
    venv.create(target, with_pip=True)
    python = str(target / "bin" / "python")
    spec = f"{source}[{extras}]" if extras else str(source)
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "-c", str(source / "constraints.txt"), spec],
        check=True,
    )
    sizes = json.loads(
        subprocess.run([python, "-c", MEASURE], capture_output=True, text=True, check=True).stdout
    )
    return {name: size for name, size in sizes.items() if name not in NOT_COUNTED}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="acf8e2e")
    parser.add_argument("--after", default="HEAD")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [
            (f"before ({args.before}), no extras", install(args.before, "", Path(tmp))),
            (f"after ({args.after}), no extras", install(args.after, "", Path(tmp))),
            (f"after ({args.after}) + dev extra", install(args.after, "dev", Path(tmp))),
        ]
    print("| closure | packages | installed size |")
    print("|---|---:|---:|")
    for label, sizes in rows:
        print(f"| {label} | {len(sizes)} | {sum(sizes.values()) / 1e6:.0f} MB |")
    before, after = rows[0][1], rows[1][1]
    gone = sorted(set(before) - set(after), key=lambda name: -before[name])
    print(f"\nGone from the production closure ({len(gone)}), largest first:", file=sys.stderr)
    print(", ".join(f"{name} {before[name] / 1e6:.1f} MB" for name in gone), file=sys.stderr)


if __name__ == "__main__":
    main()
