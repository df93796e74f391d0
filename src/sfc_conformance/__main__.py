"""``python -m sfc_conformance``: the ``sfc-conformance`` command."""

from sfc_conformance.commands.cli import main

raise SystemExit(main())
