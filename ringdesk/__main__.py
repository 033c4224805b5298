import sys

from ringdesk.cli import main

sys.exit(main())
