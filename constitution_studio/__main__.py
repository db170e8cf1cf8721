"""`python -m constitution_studio` runs the CLI."""

from constitution_studio.cli import main

raise SystemExit(main())
