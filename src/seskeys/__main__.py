"""The ``seskeys`` command (console script and ``python -m seskeys``)."""

import os


def main() -> None:
    # Set before anything imports pydantic: its plugins, found through the entry points of
    # every installed package, would see each validated value (secrets included), and finding
    # them costs start-up time.
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    from seskeys.cli import run

    run()


if __name__ == "__main__":
    main()
