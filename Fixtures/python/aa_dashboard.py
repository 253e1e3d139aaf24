"""Reads Alliance Auth's dashboard task statistics with AA's own code (aa_task_statistics, copied from AA 5.5.0).

  CACHE_URL=redis://…/1 python aa_dashboard.py HOURS   prints RESULT {...}: dashboard_results(HOURS) and each
                                                        series' count() and all()
AA's EventSeries() clears its keys when constructed (every AA process start does that); here the reads must not
erase what discord-worker wrote, so EventSeries.clear is disabled before the counters module builds its series.
"""
import json
import sys

from aa_task_statistics import event_series

event_series.EventSeries.clear = lambda self: None

from aa_task_statistics import counters  # noqa: E402

hours = int(sys.argv[1]) if len(sys.argv) > 1 else 24
results = counters.dashboard_results(hours)
series = {"succeeded": counters.succeeded_tasks, "retried": counters.retried_tasks, "failed": counters.failed_tasks}
print("RESULT " + json.dumps({
    "succeeded": results.succeeded,
    "retried": results.retried,
    "failed": results.failed,
    "total": results.total,
    "earliest_task": results.earliest_task.isoformat() if results.earliest_task else None,
    "hours": results.hours,
    "series": {name: {"count": s.count(), "all": [d.isoformat() for d in s.all()]} for name, s in series.items()},
}), flush=True)
