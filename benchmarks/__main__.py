"""``python -m benchmarks``: run the benchmark suite (``--help`` for options)."""

from benchmarks.run import main

raise SystemExit(main())
