"""One process hammering a rate limit: `python -m tests.apps.rate_hammer STORE RATE SECONDS OUT`
asks for grants of RATE ("50/s") as fast as it is refused, for SECONDS, and writes the store's
time of every grant it got to OUT (JSON)."""

from __future__ import annotations

import json
import sys
import time

from cargohold import App


def main() -> None:
    store, spec, seconds, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    app = App(store)
    rate = app.rate("hammer", spec)
    app.store.now()  # connect before the clock starts
    granted: list[float] = []
    refused = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        decision = rate.check()
        if decision.granted:
            granted.append(decision.at)
        else:
            refused += 1
            time.sleep(min(decision.wait, 0.01))
    with open(out, "w") as file:
        json.dump({"granted": granted, "refused": refused}, file)
    app.close()


if __name__ == "__main__":
    main()
