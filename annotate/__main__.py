import sys

from zhner.annotate.cli import main

sys.exit(main())
