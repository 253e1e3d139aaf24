"""Python tasks for the interop tests and the queue benchmark (registered by aa_celery's app)."""
import json
import os

import redis
from celery.signals import worker_ready

from aa_celery import app

READY_MARKER = "interop: worker ready"


@worker_ready.connect
def announce_ready(sender=None, **kwargs):
    """Tells the test harness (which reads stderr) that the worker consumes now, whatever the log level."""
    os.write(2, (READY_MARKER + "\n").encode())  # fd 2 directly: Celery proxies sys.stderr into its logger


def _redis():
    return redis.Redis.from_url(os.environ.get("BROKER_URL", "redis://127.0.0.1:6379/0"))


@app.task(name="celery.ping")
def ping():
    """What Celery's own `celery.ping` (celery.contrib.testing) does; the benchmark's task."""
    return "pong"


@app.task(name="tests.add")
def add(x, y):
    return x + y


def _request_facts(task):
    r = task.request
    return {
        "id": r.id,
        "task": task.name,
        "args": list(r.args or []),
        "kwargs": dict(r.kwargs or {}),
        "retries": r.retries,
        "parent_id": r.parent_id,
        "root_id": r.root_id,
        "eta": r.eta,
        "queue": (r.delivery_info or {}).get("routing_key"),
        "priority": (r.delivery_info or {}).get("priority"),
    }


@app.task(name="tests.inspect_request", bind=True)
def inspect_request(self, *args, **kwargs):
    """Returns (and records under `tests:requests`) what the worker saw of this message."""
    facts = _request_facts(self)
    _redis().rpush("tests:requests", json.dumps(facts))
    return facts


@app.task(name="discord_worker.test.retry", bind=True)
def retry(self, key=None, succeed_after=1):
    """The Python twin of discord-worker's test task: retries until `retries >= succeed_after`.

    discord-worker runs the first attempt and publishes the retry; a Python worker runs it.
    """
    facts = _request_facts(self)
    if key:
        _redis().rpush(key, json.dumps(dict(facts, worker="python")))
    if self.request.retries < succeed_after:
        raise self.retry(countdown=1)
    return facts
