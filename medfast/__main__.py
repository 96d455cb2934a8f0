import sys

from medfast.cli import main

sys.exit(main())
