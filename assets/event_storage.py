"""Dagster's SQLite event log, storing a batch of events in one transaction.

A run that materializes a thousand page partitions sends Dagster a thousand materialization events
per asset. `ConsolidatedSqliteEventLogStorage` stores each one on its own: four fresh connections
(an engine per connection, a table lookup per event) and a commit, about 7 ms an event, 21 s for the
3,000 events of a thousand-file backlog. Dagster hands such events over in batches when
`DAGSTER_EVENT_BATCH_SIZE` is set (`Settings.export` sets it); the base class then still stores
them one by one. Here a batch shares one connection and one transaction, and the table lookup is
remembered. Everything else, the schema included, is the consolidated storage's own.
"""

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log import ConsolidatedSqliteEventLogStorage


class BatchingSqliteEventLogStorage(ConsolidatedSqliteEventLogStorage):
    """The consolidated SQLite event log; a batch of events is written in one transaction."""

    def __init__(self, base_dir: str, inst_data=None) -> None:
        self._batch = threading.local()  # the open connection of the batch this thread is storing
        self._tables_seen: set[str] = set()
        super().__init__(base_dir, inst_data=inst_data)

    @contextmanager
    def _connect(self) -> Iterator:
        connection = getattr(self._batch, "connection", None)
        if connection is not None:  # inside store_event_batch: join its transaction
            yield connection
            return
        with super()._connect() as connection:
            yield connection

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        # All or nothing: if one event fails, the transaction rolls back and Dagster stores the
        # batch again event by event (`handle_new_event` falls back on any exception).
        with super()._connect() as connection:
            self._batch.connection = connection
            try:
                for event in events:
                    self.store_event(event)
            finally:
                self._batch.connection = None

    def has_table(self, table_name: str) -> bool:
        # Asked once per asset event; tables are created by migrations, never dropped at run time.
        if table_name not in self._tables_seen and super().has_table(table_name):
            self._tables_seen.add(table_name)
        return table_name in self._tables_seen
