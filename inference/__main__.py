import sys

from zhner.inference.cli import main

sys.exit(main(prog="python -m zhner.inference"))
