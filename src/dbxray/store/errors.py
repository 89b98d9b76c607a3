"""What can go wrong with a history store, each as one line the CLI prints (never a traceback).

All are ``DbxrayError`` subclasses, so ``dbxray.cli.main`` already turns them into
``dbxray: error: …`` and exit code 2; none of them is raised after deleting anything.
"""

from __future__ import annotations

from dbxray.errors import BadInput, ConnectionFailed


class StoreUnavailable(ConnectionFailed):
    """The store cannot be reached or opened (PostgreSQL down, a path that is not a store)."""


class StoreReadOnly(BadInput):
    """The store can be read but not written (permissions, a read-only file system or standby)."""


class StoreTooNew(BadInput):
    """The store was created or migrated by a newer dbxray: writing to it could damage it."""


class RunNotFound(BadInput):
    """A run id that is not (or no longer) in the store."""
