import sys

from labred.cli import main

sys.exit(main())
