"""python3 -m pyreactor [OPTIONS] batch | call FILE.py FUNC [ARGS_JSON]"""

import sys

from ._cli import main

sys.exit(main())
