import sys

from zhner.train.cli import main

sys.exit(main(prog="python -m zhner.train"))
