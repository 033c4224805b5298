"""`python -m ringdesk`: the same as the `ringdesk` command."""

import sys

from ringdesk.cli import main

sys.exit(main())
