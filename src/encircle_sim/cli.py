"""The ``encircle-sim`` command."""

import argparse
import sys

from encircle_sim import __version__


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="encircle-sim")
    parser.add_argument("--version", action="version", version=f"encircle-sim {__version__}")
    parser.parse_args(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
