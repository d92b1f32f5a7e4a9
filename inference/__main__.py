import sys

from inference.cli import main

sys.exit(main(prog="python -m inference"))
