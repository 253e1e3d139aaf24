"""A Celery app configured exactly like Alliance Auth 5.5 (myauth/celery.py + settings/base.py).

Used by discord-worker's integration tests and by `discord-bench ping` as the Python side:
producers (`send_task`, `apply_async`, chains) and workers (`celery -A aa_celery worker ...`).

Settings taken from the environment (each test runs its own redis-server):
  BROKER_URL             the broker (AA: redis://localhost:6379/0)
  CELERY_RESULT_BACKEND  optional; stock AA has none, the tests set one to read results
"""
import os

from celery import Celery

app = Celery("myauth", include=["interop_tasks"])

app.conf.broker_url = os.environ.get("BROKER_URL", "redis://127.0.0.1:6379/0")
backend = os.environ.get("CELERY_RESULT_BACKEND")
if backend:
    app.conf.result_backend = backend

# Alliance Auth's own values (celery.py / settings/base.py).
app.conf.broker_transport_options = {
    "priority_steps": list(range(10)),  # all 10 priority levels, 0 being the highest
    "queue_order_strategy": "priority",
}
app.conf.task_default_priority = 5  # anything called with .delay() or without a priority
app.conf.worker_prefetch_multiplier = 1  # only one task per process at once
app.conf.worker_eta_task_limit = 100
app.conf.task_routes = {"discord.*": {"queue": "services"}}

# JSON only (Celery's defaults, written out).
app.conf.task_serializer = "json"
app.conf.result_serializer = "json"
app.conf.accept_content = ["json"]
app.conf.broker_connection_retry_on_startup = True  # silences Celery 5's startup deprecation warning
