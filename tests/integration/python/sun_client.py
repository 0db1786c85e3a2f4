"""A python-socketio 5 client with the usual one-argument handlers, as the
seed's own Python stack writes them. Used by python-socketio.test.mjs.

Usage: sun_client.py URL {default|websocket}

Connects (default: polling, then the upgrade python-socketio makes at once;
websocket: WebSocket only), prints one JSON line per event it handled, a
"connected" line once connected, and exits 0 once it has handled both
new_sun_data and relay_status_update. A handler called with more arguments
than it takes raises TypeError inside python-socketio (logged to stderr) and
prints nothing: the event never reaches the application. Gives up, exit 1,
after a safety limit so a broken server cannot hang the test runner.
"""
import json
import sys
import threading

import socketio

url, mode = sys.argv[1], sys.argv[2]
sio = socketio.Client(reconnection=False)
seen = set()
both = threading.Event()


out = threading.Lock()


def emit_line(obj):
    # One write per line, under a lock: handlers run on python-socketio's
    # threads, and print() writes the text and the newline separately.
    with out:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def report(event, data):
    emit_line({"event": event, "data": data})
    seen.add(event)
    if {"new_sun_data", "relay_status_update"} <= seen:
        both.set()


@sio.on("connection_response")
def on_connection_response(data):
    report("connection_response", data)


@sio.on("new_sun_data")
def on_new_sun_data(data):
    report("new_sun_data", data)


@sio.on("relay_status_update")
def relay_status_update(data):
    report("relay_status_update", data)


sio.connect(url, transports=["websocket"] if mode == "websocket" else ["polling", "websocket"])
emit_line({"event": "connected", "transport": sio.transport()})
ok = both.wait(timeout=30)
sio.disconnect()
sys.exit(0 if ok else 1)
