import sys

from zhner.evaluation.cli import main

sys.exit(main(prog="python -m zhner.evaluation"))
