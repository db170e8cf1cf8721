"""What the studio's @work methods pass as `description`.

Without one, Textual describes a worker by the repr of its arguments, in the UI thread, when
the worker starts: for a workspace of 50,000 cases, a diff or a trust snapshot that is
seconds of pydantic reprs per start (docs/performance.md, "Impact view and review queue").
"""

NO_REPR = "studio worker (arguments not shown: a repr of a large workspace costs seconds)"
