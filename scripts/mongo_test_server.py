"""The MongoDB test server: mongoeco's wire-protocol emulator on a free loopback port.

Run by scripts/mongo-test-server (which prepares the virtualenv). Prints the connection
string on its first line of standard output, then serves until SIGTERM or SIGINT.
It is a correctness stand-in only (see shared/MONGO-TEST-SERVER.md): never time things on it.
"""

import argparse
import asyncio
import signal
import sys

from mongoeco.wire import AsyncMongoEcoProxyServer


async def serve(port: int, sqlite_path: str | None) -> None:
    engine = None
    if sqlite_path:
        from mongoeco.engines.sqlite import SQLiteEngine

        engine = SQLiteEngine(sqlite_path)
    server = AsyncMongoEcoProxyServer(host="127.0.0.1", port=port, engine=engine)
    address = await server.start()
    print(address.uri, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--sqlite", help="keep data in this SQLite file instead of memory")
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.port, args.sqlite))
    except OSError as error:
        print(f"mongo-test-server: cannot listen: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
