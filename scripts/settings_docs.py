#!/usr/bin/env python3
"""Rewrite the README's configuration table and .env.example from portal/config.py's rows."""

from __future__ import annotations

from pathlib import Path

from portal.settings_docs import env_example, settings_table

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- settings:start -->", "<!-- settings:end -->"


def main() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    readme.write_text(f"{head}{START}\n{settings_table()}\n{END}{tail}", encoding="utf-8")
    (ROOT / ".env.example").write_text(env_example(), encoding="utf-8")


if __name__ == "__main__":
    main()
