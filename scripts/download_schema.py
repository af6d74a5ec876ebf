"""Download the tenant's GraphQL schema, as ``sage-dmo schema download`` does.

With ``--emulator``, download from an emulator started in this process instead;
``python scripts/download_schema.py --emulator --name emulator`` refreshes the
files in schema/.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from sage_dmo._cli_schema import add_download_arguments, run_download
from sage_dmo.emulator import Emulator


async def _download(arguments: argparse.Namespace) -> int:
    if not arguments.emulator:
        return await run_download(arguments, sys.stdout, sys.stderr)
    async with Emulator() as emulator:
        return await run_download(
            arguments, sys.stdout, sys.stderr, settings=emulator.settings()
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="download_schema.py",
        description="Write NAME.graphql, NAME.json and NAME.meta.json for the "
        "tenant named by the SAGE_DMO_* variables or the connection options.",
    )
    add_download_arguments(parser)
    parser.add_argument(
        "--emulator",
        action="store_true",
        help="download from an emulator with default options started here",
    )
    return asyncio.run(_download(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
