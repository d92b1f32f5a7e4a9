import sys

from zhner.cli import main

sys.exit(main())
