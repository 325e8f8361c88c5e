"""`python -m benchmarks`: see benchmarks/README.md."""

from .run import main

raise SystemExit(main())
