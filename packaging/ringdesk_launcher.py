"""The frozen RingDesk's entry point: the same as the `ringdesk` command (`ringdesk.cli:main`).

PyInstaller needs a script, not an entry point; `ringdesk/__main__.py` would do, but a script of
its own keeps the package's `__main__` free of anything the bundle needs.
"""

import sys

from ringdesk.cli import main

sys.exit(main())
