"""Looks at discord-worker the way operators' tools do, with the real Python Celery 5.7 (integration tests).

  python celery_citizen.py inspect NODE      RESULT {...}: celery.app.control.Inspect replies of NODE
                                             (ping, active, reserved, scheduled, registered, stats,
                                             active_queues, report, an unknown command, a refused one and
                                             AA's dashboard count of running tasks)
  python celery_citizen.py events SECONDS    an EventReceiver (as `celery events`/Flower): `LISTENING`
                                             once subscribed, then per event an `EVENT {...}` line and a
                                             `STATE {...}` line with what
                                             celery.events.state.State makes of them (workers, task states)
Settings: BROKER_URL (the AA-configured app of aa_celery.py).
"""
import itertools
import json
import os
import sys
import threading

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
        # AA 5.5's dashboard "running tasks" (authentication/core/celery_workers.py active_tasks_count): all nodes.
        "aa_active_tasks_count": len(list(itertools.chain(*app.control.inspect(timeout=5).active().values()))),
    }
    print("RESULT " + json.dumps(result), flush=True)


def events(seconds):
    state = app.events.State()
    subscribed = threading.Event()

    def on_event(event):
        if event.get("type") == "custom-citizen-ready":
            if not subscribed.is_set():
                subscribed.set()
                print("LISTENING {}", flush=True)
            return
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

    def announce():
        # Our own event, sent until it comes back: from then on the receiver is subscribed.
        with app.connection() as connection:
            dispatcher = app.events.Dispatcher(connection, hostname="citizen-receiver@test")
            while not subscribed.wait(0.2):
                dispatcher.send("custom-citizen-ready")

    # Exit after `seconds` whatever happens (the tests also stop it earlier).
    timer = threading.Timer(seconds, lambda: os._exit(0))
    timer.daemon = True
    timer.start()
    threading.Thread(target=announce, daemon=True).start()
    with app.connection() as connection:
        receiver = app.events.Receiver(connection, handlers={"*": on_event})
        # One capture for the whole run (each capture subscribes anew: events published between two would be lost).
        # wakeup=True: broadcasts the `heartbeat` control command once listening, as `celery events` does.
        receiver.capture(limit=None, timeout=None, wakeup=True)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "inspect":
        inspect(sys.argv[2])
    elif mode == "events":
        events(float(sys.argv[2]))
    else:
        sys.exit(f"unknown mode {mode}")
