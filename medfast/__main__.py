import sys

from medfast.cli import main

if __name__ == "__main__":  # worker processes import this module again (multiprocessing's forkserver)
    sys.exit(main())
