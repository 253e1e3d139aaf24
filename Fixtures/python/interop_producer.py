"""Python producers for discord-worker's interop tests.

Usage: python interop_producer.py SCENARIO
Prints one line `READY <json>` once everything is published (the test then starts the workers), waits for
the results through Celery's own AsyncResult API, and prints one line `RESULT <json>`. It asserts nothing
itself: the Swift test reads the JSON and says what is wrong.

Scenarios:
  python_to_swift   celery.ping with priorities 0/3/5/9 (send_task and apply_async), a countdown, an
                    expires in the past and one in the future, and a chain of three celery.ping steps,
                    all on queue `services` for discord-worker.
  chain_to_python   chain(discord_worker.test.record on `swiftq` (discord-worker only), tests.inspect_request
                    on `pyq` (Python only)): discord-worker publishes step 2 for a Python worker.
"""
import datetime
import json
import os
import sys

from celery import chain

from aa_celery import app
from interop_tasks import ping

TIMEOUT = float(os.environ.get("INTEROP_RESULT_TIMEOUT", "60"))


def emit(tag, obj):
    sys.stdout.write(tag + " " + json.dumps(obj, default=str) + "\n")
    sys.stdout.flush()


def outcome(result, timeout=TIMEOUT):
    """Waits for the result the Celery way; returns state, value and date_done."""
    try:
        value = result.get(timeout=timeout, propagate=False)
    except Exception as exc:  # timeout
        return {"state": result.state, "error": "%s: %s" % (type(exc).__name__, exc)}
    if isinstance(value, BaseException):
        value = "%s(%s)" % (type(value).__name__, value)
    date_done = result.date_done
    if isinstance(date_done, datetime.datetime):
        date_done = date_done.timestamp()
    elif isinstance(date_done, str):
        date_done = datetime.datetime.fromisoformat(date_done).timestamp()
    return {"state": result.state, "value": value, "date_done": date_done}


def python_to_swift():
    utc = datetime.timezone.utc
    published = {}
    results = {}
    for priority in (0, 3, 5, 9):
        r = app.send_task("celery.ping", priority=priority, queue="services")
        results["send_task_p%d" % priority] = r
    for priority in (0, 9):
        r = ping.apply_async(priority=priority, queue="services")
        results["apply_async_p%d" % priority] = r
    countdown = 2
    not_before = datetime.datetime.now(utc).timestamp() + countdown
    results["countdown"] = ping.apply_async(countdown=countdown, queue="services")
    published["countdown_not_before"] = not_before
    results["expired"] = ping.apply_async(
        expires=datetime.datetime.now(utc) - datetime.timedelta(seconds=60), queue="services")
    results["expires_future"] = ping.apply_async(expires=300, queue="services")
    steps = [ping.si().set(queue="services") for _ in range(3)]
    last = chain(*steps).apply_async()
    chain_results = []
    node = last
    while node is not None:
        chain_results.insert(0, node)
        node = node.parent
    for i, r in enumerate(chain_results):
        results["chain_%d" % i] = r
    published["ids"] = {name: r.id for name, r in results.items()}
    emit("READY", published)
    emit("RESULT", {name: outcome(r, timeout=5 if name == "expired" else TIMEOUT) for name, r in results.items()})


def chain_to_python():
    first = app.signature("discord_worker.test.record", args=("tests:chain-step1", 7), queue="swiftq")
    second = app.signature("tests.inspect_request", args=(3,), queue="pyq")
    last = chain(first, second).apply_async()
    emit("READY", {"step1": last.parent.id, "step2": last.id})
    emit("RESULT", {"step1": outcome(last.parent), "step2": outcome(last)})


if __name__ == "__main__":
    {"python_to_swift": python_to_swift, "chain_to_python": chain_to_python}[sys.argv[1]]()
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown (redis-py's pubsub cleanup prints noise then)
