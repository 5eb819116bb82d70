"""Run localstripe on 127.0.0.1 with its state file in a folder of our choosing.

localstripe's own CLI binds every interface and keeps its state in a fixed file in /tmp; this
wrapper does neither. ``python -m tests.localstripe_server --port N --state DIR``.
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state", required=True, help="folder for localstripe's state file")
    args = parser.parse_args()

    from aiohttp import web
    from localstripe import resources, server

    state_file = Path(args.state) / "localstripe.pickle"

    def dump_to_disk(store: resources.Store) -> None:
        with state_file.open("wb") as handle:
            pickle.dump(dict(store), handle, protocol=pickle.HIGHEST_PROTOCOL)

    resources.Store.dump_to_disk = dump_to_disk
    resources.Store.try_load_from_disk = lambda store: None
    web.run_app(server.app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
