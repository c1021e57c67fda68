"""``python -m forms.cli``: the `forms` command."""

import sys

from forms.cli.main import main

sys.exit(main())
