"""moto's server for the local stack, in a process of its own: `python -m local.moto_server --port N`.

The same moto as `moto_server -p N` (the app still only changes endpoints), with three fixes that
keep it healthy under load. Found with the stack under 10,000 posted work-item batches
(bench/bench_local_stack_memory.py):

1. **moto keeps every object it ever built.** `moto.core.common_models.BaseModel.__new__` appends
   each instance to a class-level list, `instances_tracked` (it feeds `/moto-api/data.json`), and
   nothing ever removes one. moto's DynamoDB copies items all the time (each query's results,
   each update's old image) and `TransactWriteItems` deep-copies *every table it touches* as its
   rollback copy, once per action: each work-item post copied the whole counts table (one
   marker per batch ever posted) into that list, so memory grew quadratically with the number
   of posts. Here the list holds its objects weakly: a live object is listed as before, a
   discarded copy is freed.
2. **TransactWriteItems copied whole tables.** Besides the memory, copying the table on every
   transaction made each post slower than the one before (O(items in the table)). Here the
   rollback copy is of the items the transaction touches, restored if it fails, which is the
   same thing as moto's whole-table restore because requests run one at a time (3.).
3. **moto's backends are not thread-safe, and its server is threaded.** Concurrent requests
   raced: a `TransactWriteItems` copying a table while a `BatchWriteItem` added to it raised
   "dictionary changed size during iteration" (a 500), and concurrent `ADD` updates could lose
   increments. Here connections are still served by threads (keep-alive works), but moto's WSGI
   app handles one request at a time, as DynamoDB's own serialisation of writes to an item would.

It refuses to start, with a message naming the port, when the port is taken (exit code 2), stops
on SIGINT or SIGTERM, and exits if the process that started it goes away.
"""

from __future__ import annotations

import argparse
import copy
import os
import signal
import sys
import threading
import weakref
from typing import Any, Iterable

EXIT_PORT_IN_USE = 2


# --- 1. moto's instance tracking, held weakly ---------------------------------------
class LiveInstances:
    """What moto's `instances_tracked` lists become: the instances still alive, in creation order.

    moto appends to it and iterates it (`/moto-api/data.json`, S3's reset); `reset_model_data`
    replaces it with a plain list, which the next instance created turns back into this."""

    def __init__(self, keep: Iterable[Any] = ()):
        self._refs: dict[int, weakref.ref] = {}
        self._kept: list = list(keep)  # what was tracked before the patch, or cannot be weakly referenced

    def append(self, instance: Any) -> None:
        key = id(instance)
        refs = self._refs
        try:
            refs[key] = weakref.ref(instance, lambda _ref, key=key: refs.pop(key, None))
        except TypeError:
            self._kept.append(instance)

    def __iter__(self):
        yield from self._kept
        for ref in list(self._refs.values()):
            instance = ref()
            if instance is not None:
                yield instance

    def __len__(self) -> int:
        return len(self._kept) + len(self._refs)


def track_instances_weakly() -> None:
    from moto.core.common_models import BaseModel

    def __new__(cls, *args: Any, **kwargs: Any):
        instance = super(BaseModel, cls).__new__(cls)
        tracked = cls.__dict__.get("instances_tracked")
        if not isinstance(tracked, LiveInstances):
            tracked = LiveInstances(tracked or ())
            cls.instances_tracked = tracked
        tracked.append(instance)
        return instance

    BaseModel.__new__ = staticmethod(__new__)


# --- 2. TransactWriteItems: a rollback copy of the touched items, not of whole tables ---
_transaction = threading.local()


def _table_copy_for_rollback(table: Any, memo: Any = None) -> Any:
    """moto.dynamodb.models calls `copy.deepcopy` on each table a transaction touches."""
    from moto.dynamodb.models.table import Table

    if isinstance(table, Table) and getattr(_transaction, "items_saved", False):
        return table  # its touched items are saved already (see transact_write_items below)
    return copy.deepcopy(table, memo)


class _CopyModule:
    """Stands for the `copy` module inside moto.dynamodb.models only."""

    deepcopy = staticmethod(_table_copy_for_rollback)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _touched_items(backend: Any, transact_items: list) -> dict:
    """{(table, hash key, range key): a copy of the item, or None if absent} before the transaction."""
    saved: dict = {}
    for action in transact_items:
        op_type, op = next(iter(action.items()))
        table = backend.tables.get(op.get("TableName"))
        if table is None:
            continue  # moto answers ResourceNotFound for it and changes nothing
        if table.stream_shard is not None:
            raise LookupError("stream records are kept with the table: let moto copy it")
        hash_key, range_key = backend.get_keys_value(table, op["Item"] if op_type == "Put" else op["Key"])
        slot = (op["TableName"], hash_key, range_key)
        if slot not in saved:
            item = table.get_item(hash_key, range_key)
            saved[slot] = (table, None if item is None else copy.deepcopy(item))
    return saved


def _restore(saved: dict) -> None:
    for (_, hash_key, range_key), (table, item) in saved.items():
        if range_key is not None:
            if item is None:
                table.items[hash_key].pop(range_key, None)
            else:
                table.items[hash_key][range_key] = item
        elif item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item


def copy_touched_items_only() -> bool:
    """Patch moto 5.2's DynamoDB TransactWriteItems; False (and moto unchanged) on another version."""
    import moto
    import moto.dynamodb.models as models

    if not moto.__version__.startswith("5.2.") or getattr(models, "copy", None) is not copy:
        return False
    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list) -> None:
        try:
            saved = _touched_items(self, transact_items)
        except Exception:  # a malformed request or a streamed table: moto's own path, whole-table copy
            return original(self, transact_items)
        _transaction.items_saved = True
        try:
            return original(self, transact_items)
        except BaseException:
            _restore(saved)  # moto "restored" each table to itself: put the touched items back
            raise
        finally:
            _transaction.items_saved = False

    models.copy = _CopyModule()
    models.DynamoDBBackend.transact_write_items = transact_write_items
    return True


# --- 3. one request at a time ---------------------------------------------------------
class OneRequestAtATime:
    """WSGI middleware: the wrapped app runs for one request at a time, body included."""

    def __init__(self, app: Any):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Any) -> list:
        with self.lock:
            result = self.app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        return [body]


def make_app(stock: bool = False) -> Any:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    if stock:  # moto as `moto_server` serves it: for comparison only (bench/bench_local_stack_memory.py)
        return DomainDispatcherApplication(create_backend_app)
    track_instances_weakly()
    copy_touched_items_only()
    return OneRequestAtATime(DomainDispatcherApplication(create_backend_app))


# --- the process -------------------------------------------------------------------------
class _Stopped(BaseException):
    """Raised by SIGTERM or SIGINT in the main thread: nothing in moto catches it."""


def _stop(_signum: int, _frame: Any) -> None:
    raise _Stopped


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--parent-pid", type=int, default=None, help="exit when this process is no longer our parent")
    parser.add_argument("--stock", action="store_true", help="moto without the fixes above (to compare)")
    args = parser.parse_args(argv)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        return _serve(args)
    except _Stopped:  # a signal before the server was up
        return 0


def _serve(args: argparse.Namespace) -> int:
    if args.parent_pid is not None:
        from local.with_parent import die_with_parent

        die_with_parent(args.parent_pid)

    import logging

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per AWS call is noise here
    os.environ.setdefault("MOTO_PORT", str(args.port))
    from local.ports import PortInUse, check_free

    try:
        check_free(args.port, "moto's server", host=args.host)
        server = make_server(
            args.host, args.port, make_app(args.stock), threaded=True, request_handler=MotoRequestHandler
        )
    except PortInUse as exc:
        print(f"moto server: {exc}", file=sys.stderr, flush=True)
        return EXIT_PORT_IN_USE
    except SystemExit:  # werkzeug exits when the bind fails (taken between the check and the bind)
        print(f"moto server: port {args.port} on {args.host} is already in use", file=sys.stderr, flush=True)
        return EXIT_PORT_IN_USE
    server.daemon_threads = True
    try:
        server.serve_forever(poll_interval=0.1)
    except _Stopped:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # moto's state dies with it: skip freeing a big heap object by object (seconds)
