import sys

from subnet_monitor.cli import main

sys.exit(main())
