import sys

from luthier.local.stack import main

sys.exit(main())
