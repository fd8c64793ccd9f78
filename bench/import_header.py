"""Time the CSV import's header checks on hostile headers (issue 16.8).

`.venv/bin/python bench/import_header.py` prints, per header shape and width, the seconds
`parse()` takes and the problems it reports.
"""

from __future__ import annotations

import time

from portal.services.tenants.imports import parse

REAL = "name,slug,callback_urls,contact_email"
SHAPES = {
    "repeated": lambda n: ",".join(["name"] * n),
    "distinct": lambda n: ",".join(f"column{i}" for i in range(n)),
    "trailing": lambda n: REAL + "," * n,
}


def main() -> None:
    print("shape     columns   bytes      seconds  problems")
    for name, make in SHAPES.items():
        for columns in (5_000, 20_000, 240_000):
            text = make(columns) + "\nAcme,acme,https://a.example/cb,\n"
            started = time.perf_counter()
            _rows, problems = parse(text)
            took = time.perf_counter() - started
            print(f"{name:9} {columns:7} {len(text):9} {took:10.3f}  {len(problems)}")


if __name__ == "__main__":
    main()
