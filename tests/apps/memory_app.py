"""Tasks that use a known amount of memory, for the memory tests."""

from __future__ import annotations

import os
import time

from cargohold import App

MIB = 1024 * 1024


def touch(mib: int) -> bytearray:
    """Really use `mib` MiB: allocate and write every page."""
    block = bytearray(mib * MIB)
    for offset in range(0, len(block), 4096):
        block[offset] = 1
    return block


def build_app(store: str | None = None) -> App:
    app = App(store)

    @app.task(retries=2)
    def hog(mib: int, hold: float) -> int:
        block = touch(mib)
        time.sleep(hold)
        return len(block) // MIB

    @app.task(retries=2, memory="300MiB")
    def big(hold: float) -> int:
        block = touch(300)
        time.sleep(hold)
        return len(block) // MIB

    @app.task(retries=2, memory="100MiB")
    def medium(hold: float) -> int:
        block = touch(100)
        time.sleep(hold)
        return len(block) // MIB

    @app.task(retries=2, memory="40MiB")
    def small(hold: float) -> int:
        block = touch(40)
        time.sleep(hold)
        return len(block) // MIB

    @app.task(retries=2, memory="50MiB")
    def liar(hold: float) -> int:
        block = touch(250)
        time.sleep(hold)
        return len(block) // MIB

    @app.task(retries=2, memory="700MiB")
    def huge() -> None:
        touch(700)

    model = app.resource("model", memory="300MiB")(lambda: touch(300))

    @app.task(retries=2, memory="20MiB", resources=[model])
    def predict() -> dict[str, int | bool]:
        warm = model.loaded
        return {"pid": os.getpid(), "warm": warm, "mib": len(model.get()) // MIB}

    return app


app = build_app()
