"""The SQLite wake-up socket: any local process can send to it, so what it reads is checked."""

from __future__ import annotations

import socket
from pathlib import Path

from cargohold.records import Claim, Heard
from cargohold.store.handing import handed_payload
from cargohold.store.sqlite.wakeup import SocketWakeup, _address, handed_marker


def test_a_malformed_datagram_is_ignored_and_a_handed_job_still_comes(tmp_path: Path) -> None:
    folder = tmp_path / "jobs.db.wake"
    wakeup = SocketWakeup(folder, "worker-1")
    sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    claim = Claim("j1", "resize", "default", '{"args":[],"kwargs":{}}', 1, 3, 0, 0, "tok", None, 5)
    try:
        address = _address(folder, handed_marker("worker-1"))
        for datagram in (b"!", b"\xff not utf-8", b'["too", "short"]', b"{not json"):
            sender.sendto(datagram, address)
        sender.sendto(handed_payload(claim).encode(), address)
        assert wakeup.drain() == Heard([claim], woken=True)  # whatever came may be for a claim
        assert wakeup.drain() == Heard([], woken=True)
        # A handed job alone calls for no claim
        sender.sendto(handed_payload(claim).encode(), address)
        assert wakeup.drain() == Heard([claim], woken=False)
    finally:
        sender.close()
        wakeup.close()
