from seskeys.cli import run

run()
