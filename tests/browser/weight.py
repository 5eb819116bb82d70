"""Measuring what a reader downloads, in a real Chromium, under a slow-network profile.

Used by tests/browser/test_reach.py (the byte budget, asserted) and bench/page_weight.py (the
figures and the load time, recorded). Bytes come from the DevTools protocol's
``encodedDataLength``: what crossed the network, after compression, headers included.
"""

from __future__ import annotations

import base64
import gzip
import time
from collections import defaultdict
from dataclasses import dataclass, field

#: A slow-2G-like profile: 300 ms round trips, 250 kbit/s down, 50 kbit/s up.
SLOW_2G = {
    "offline": False,
    "latency": 300,
    "downloadThroughput": 250 * 1000 // 8,
    "uploadThroughput": 50 * 1000 // 8,
}

TEXT_TYPES = ("Document", "Stylesheet", "Script")


@dataclass
class PageWeight:
    #: Bytes that crossed the network per resource type (after whatever compression the
    #: server applied; headers included).
    by_type: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: The same resources' bodies gzipped (level 9): what a production server sends them as.
    gzipped_by_type: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    requests: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    load_seconds: float = 0.0

    @property
    def text_bytes(self) -> int:
        """HTML, CSS and JavaScript as transferred (images excluded)."""
        return sum(self.by_type.get(kind, 0) for kind in TEXT_TYPES)

    @property
    def gzipped_text_bytes(self) -> int:
        """HTML, CSS and JavaScript gzipped: what the 20 KB budget counts."""
        return sum(self.gzipped_by_type.get(kind, 0) for kind in TEXT_TYPES)


def measure(page, url: str, profile: dict | None = SLOW_2G) -> PageWeight:
    """Load ``url`` in ``page`` with the cache off and the network throttled; sum the bytes."""
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    session.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if profile:
        session.send("Network.emulateNetworkConditions", profile)
    types: dict[str, str] = {}
    weight = PageWeight()

    def on_response(event: dict) -> None:
        types[event["requestId"]] = event.get("type", "Other")

    finished: list[tuple[str, str]] = []

    def on_finished(event: dict) -> None:
        kind = types.get(event["requestId"], "Other")
        weight.by_type[kind] += int(event.get("encodedDataLength", 0))
        weight.requests[kind] += 1
        finished.append((event["requestId"], kind))

    session.on("Network.responseReceived", on_response)
    session.on("Network.loadingFinished", on_finished)
    started = time.perf_counter()
    page.goto(url, wait_until="load")
    weight.load_seconds = time.perf_counter() - started
    # Let the last loadingFinished events arrive.
    page.wait_for_timeout(300)
    for request_id, kind in finished:
        if kind not in TEXT_TYPES:
            continue
        body = session.send("Network.getResponseBody", {"requestId": request_id})
        raw = base64.b64decode(body["body"]) if body.get("base64Encoded") else body["body"].encode()
        weight.gzipped_by_type[kind] += len(gzip.compress(raw, compresslevel=9))
    session.detach()
    return weight
