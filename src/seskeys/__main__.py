"""The ``seskeys`` command (console script and ``python -m seskeys``)."""

import os
import sys


def main() -> None:
    # Set before anything imports pydantic: its plugins, found through the entry points of
    # every installed package, would see each validated value (secrets included), and finding
    # them costs start-up time.
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    try:
        from seskeys.cli import run
    except KeyboardInterrupt:  # Ctrl-C while starting: nothing has run yet
        sys.stderr.write("seskeys: interrupted; nothing half-written was kept\n")
        sys.exit(130)
    run()


if __name__ == "__main__":
    main()
