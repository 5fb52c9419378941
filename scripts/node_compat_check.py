"""Runs the Node version's negative probes (shared/node-compat/node_database.py's `run_checks`)
against a database as it is, without laying it out again: after our processor ran on a layout the
Node version built, its validator must still refuse what it refused and its indexes must still be
there, unchanged. (`node_database.py --check` would first re-install the validator with
`collMod`, which the MongoDB test server does not have.)

Usage: python node_compat_check.py NODE_COMPAT_DIR MONGODB_URI DBNAME
Exit status 0 when every required probe passed.
"""

import sys


def main(argv: list[str]) -> int:
    folder, uri, dbname = argv
    sys.path.insert(0, folder)
    import node_database  # noqa: E402  (the fixture's own module, from the shared folder)
    from pymongo import MongoClient

    client = MongoClient(uri, serverSelectionTimeoutMS=10_000, tz_aware=True)
    ok = node_database.run_checks(client[dbname], lambda line: print(line, flush=True))
    print("OK" if ok else "NOT OK: see the lines above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
