"""Looks at discord-worker the way operators' tools do, with the real Python Celery 5.7 (integration tests).

  python celery_citizen.py inspect NODE      RESULT {...}: celery.app.control.Inspect replies of NODE
                                             (ping, active, reserved, scheduled, registered, stats,
                                             active_queues, report, an unknown command and a refused one)
  python celery_citizen.py events SECONDS    an EventReceiver (as `celery events`/Flower): one
                                             `EVENT {...}` line per event, then `STATE {...}` with what
                                             celery.events.state.State makes of them (workers, task states)
Settings: BROKER_URL (the AA-configured app of aa_celery.py).
"""
import json
import sys
import time

from aa_celery import app


def inspect(node):
    insp = app.control.inspect(destination=[node], timeout=5)
    result = {
        "ping": insp.ping(),
        "active": insp.active(),
        "reserved": insp.reserved(),
        "scheduled": insp.scheduled(),
        "registered": insp.registered(),
        "stats": insp.stats(),
        "active_queues": insp.active_queues(),
        "report": insp.report(),
        "unknown": app.control.broadcast("no_such_command", destination=[node], reply=True, timeout=5),
        "rate_limit": app.control.rate_limit("discord.update_groups", "1/s", destination=[node], reply=True, timeout=5),
    }
    print("RESULT " + json.dumps(result), flush=True)


def events(seconds):
    state = app.events.State()
    deadline = time.monotonic() + seconds

    def on_event(event):
        state.event(event)
        print("EVENT " + json.dumps(event), flush=True)
        snapshot = {
            "workers": {name: {"alive": w.alive, "processed": w.processed, "sw_ident": w.sw_ident}
                        for name, w in state.workers.items()},
            "tasks": {uuid: {"state": t.state, "name": t.name, "args": t.args, "result": t.result,
                             "worker": t.worker.hostname if t.worker else None}
                      for uuid, t in state.tasks.items()},
        }
        print("STATE " + json.dumps(snapshot), flush=True)

    with app.connection() as connection:
        receiver = app.events.Receiver(connection, handlers={"*": on_event})
        print("LISTENING {}", flush=True)
        # wakeup=True: broadcasts the `heartbeat` control command once listening, as `celery events` does.
        while time.monotonic() < deadline:
            try:
                receiver.capture(limit=None, timeout=1, wakeup=True)
            except TimeoutError:
                pass
            except Exception as exc:  # socket.timeout on older Pythons
                if "timed out" not in str(exc):
                    raise


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "inspect":
        inspect(sys.argv[2])
    elif mode == "events":
        events(float(sys.argv[2]))
    else:
        sys.exit(f"unknown mode {mode}")
