import sys

from cargohold.cli import main

sys.exit(main())
