"""``python -m vec2vec_fast.cli``: the same as the ``vec2vec-fast`` command."""

import sys

from . import main

sys.exit(main())
