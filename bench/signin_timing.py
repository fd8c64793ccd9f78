"""How long a failed sign-in takes for an existing, an unknown and a disabled account.

With the production argon2id parameters, in process (Flask's test client, SQLite, no Redis), the
three kinds interleaved so that drift on a busy machine hits them alike; each attempt from a new
address, so no delay applies. Prints the median and the 10th/90th percentiles per kind.

    .venv/bin/python bench/signin_timing.py [--rounds 60]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()

    from portal import create_app
    from portal.app import upgrade_database
    from portal.extensions import db
    from portal.models import Role
    from portal.services.access.users import create_user, find_user
    from portal.services.audit.actors import Actor, acting_as

    folder = Path(tempfile.mkdtemp(prefix="signin-timing-"))
    app = create_app(
        {"TESTING": True, "WTF_CSRF_ENABLED": False},
        settings={"instance_path": folder, "database_url": f"sqlite:///{folder / 'p.db'}"},
    )
    with app.app_context():
        upgrade_database()
        with acting_as(Actor("cli", "bench", "bench")):
            create_user("existing@example.com", Role.STAFF, "the-right-password")
            create_user("disabled@example.com", Role.STAFF, "the-right-password")
            find_user("disabled@example.com").is_enabled = False
            db.session.commit()

    client = app.test_client()
    kinds = {
        "existing": "existing@example.com",
        "unknown": "nobody@example.com",
        "disabled": "disabled@example.com",
    }
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    for n in range(args.rounds + 3):
        for kind, email in kinds.items():
            address = f"10.{n // 250}.{n % 250}.{list(kinds).index(kind) + 1}"
            started = time.perf_counter()
            response = client.post(
                "/login",
                data={"email": email, "password": "a-wrong-password"},
                environ_base={"REMOTE_ADDR": address},
            )
            elapsed = time.perf_counter() - started
            assert response.status_code == 401, response.status_code
            if n >= 3:  # the first rounds warm up (imports, the decoy hash)
                times[kind].append(elapsed * 1000)
    for kind, values in times.items():
        deciles = statistics.quantiles(values, n=10)
        print(
            f"{kind:9} median {statistics.median(values):6.1f} ms   "
            f"p10 {deciles[0]:6.1f} ms   p90 {deciles[-1]:6.1f} ms   ({len(values)} attempts)"
        )


if __name__ == "__main__":
    main()
