#!/usr/bin/env python3
"""A stand-in for the CodeMash Logs API ("Create Log"), for tests and the demo.

It checks each request as strictly as the contract in DESIGN.md section 1
reads, answers {"result": LOG_ID}, records what it accepted, and injects
faults on demand. It listens on 127.0.0.1 only.

usage: standin_api.py [--port N] [--token T] [--project-id P] [--record FILE]
                      [--fail-every N --fail-status S] [--fail-first N]
                      [--retry-after S] [--delay-ms MS] [--drop-every N]
                      [--down-for SECONDS]

It prints "listening on PORT" once ready (use --port 0 for a free port).

Control (JSON, on the same port):
  GET  /_standin/logs    what was accepted, in order of arrival
  GET  /_standin/stats   counts of requests, accepted, rejected, by status
  POST /_standin/faults  set faults: {"fail_every": 3, "fail_status": 503, ...};
                         {"token": "new"} changes the token it accepts
  POST /_standin/reset   forget logs and counters, clear faults
"""
import argparse
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LEVELS = {"Information", "Warning", "Error"}
FAULT_KEYS = {"fail_every", "fail_status", "fail_first", "retry_after", "delay_ms",
              "drop_every", "down_until"}


class State:
    def __init__(self, token, project_id, versions, record):
        self.lock = threading.Lock()
        self.token = token
        self.project_id = project_id
        self.versions = versions
        self.record = open(record, "a", encoding="utf-8") if record else None
        self.reset()

    def reset(self):
        self.logs = []
        self.requests = 0
        self.rejected = 0
        self.statuses = {}
        self.faults = {}
        self.connections = 0     # TCP connections used for the API: keep-alive reuses them
        self.concurrent = 0
        self.max_concurrent = 0  # requests being answered at once, at most

    def count(self, status):
        self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1


def service_error(code, message, errors=None):
    body = {"responseStatus": {"errorCode": code, "message": message,
                               "errors": errors or []}}
    return json.dumps(body).encode()


def check_body(raw):
    """Returns (log, None) or (None, (errorCode, message))."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return None, ("InvalidUtf8", "body is not valid UTF-8: %s" % e)

    def no_dupes(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise ValueError("duplicate key")
        return dict(pairs)

    try:
        body = json.loads(text, object_pairs_hook=no_dupes,
                          parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    except ValueError as e:
        return None, ("InvalidJson", "body is not valid JSON: %s" % e)
    if not isinstance(body, dict):
        return None, ("InvalidJson", "body is not a JSON object")
    extra = set(body) - {"message", "items", "level"}
    if extra:
        return None, ("UnknownField", "unknown fields: %s" % sorted(extra))
    msg = body.get("message")
    if not isinstance(msg, str) or not msg:
        return None, ("ValidationError", "message is required and must be a non-empty string")
    items = body.get("items", {})
    if not isinstance(items, dict) or any(
            not isinstance(k, str) or not isinstance(v, str) for k, v in items.items()):
        return None, ("ValidationError", "items must map strings to strings")
    if "level" in body and body["level"] not in LEVELS:
        return None, ("ValidationError", "level must be Information, Warning or Error")
    try:  # lone surrogates sneak through JSON escapes
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return None, ("InvalidUtf8", "a string holds a lone UTF-16 surrogate")
    return body, None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle and
    # the client's delayed ACK stall every answer by 40 ms.
    disable_nagle_algorithm = True
    server_version = "standin-logs-api/1"

    def log_message(self, fmt, *args):  # quiet: tests read what matters
        pass

    def setup(self):
        super().setup()
        self.carried_api = False

    def answer(self, status, body=b"", headers=None):
        with self.server.state.lock:
            self.server.state.count(status)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return None
        n = self.headers.get("Content-Length")
        if n is None:
            return None
        return self.rfile.read(int(n))

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(2)
        except OSError:
            pass

    # ---- control ----
    def do_GET(self):
        st = self.server.state
        path = urlsplit(self.path).path
        with st.lock:
            if path == "/_standin/logs":
                body = json.dumps(st.logs).encode()
            elif path == "/_standin/stats":
                body = json.dumps({"requests": st.requests, "accepted": len(st.logs),
                                   "rejected": st.rejected, "statuses": st.statuses,
                                   "connections": st.connections,
                                   "max_concurrent": st.max_concurrent,
                                   "faults": st.faults}).encode()
            else:
                body = None
        if body is None:
            self.answer(404, service_error("NotFound", "no such path"))
        else:
            self.answer(200, body)

    def control(self, path, raw):
        st = self.server.state
        with st.lock:
            if path == "/_standin/reset":
                st.reset()
                return {"ok": True}
            faults = json.loads(raw or b"{}")
            if "token" in faults:  # the credentials change: a 401 mid-run
                st.token = faults.pop("token")
            unknown = set(faults) - FAULT_KEYS - {"down_for"}
            if unknown:
                raise ValueError("unknown faults %s" % sorted(unknown))
            if "down_for" in faults:
                faults["down_until"] = time.time() + float(faults.pop("down_for"))
            st.faults = {k: v for k, v in faults.items() if v is not None}
            return {"ok": True, "faults": st.faults}

    # ---- the API ----
    def do_POST(self):
        st = self.server.state
        url = urlsplit(self.path)
        raw = self.read_body()
        if url.path.startswith("/_standin/"):
            try:
                self.answer(200, json.dumps(self.control(url.path, raw)).encode())
            except ValueError as e:
                self.answer(400, service_error("BadControl", str(e)))
            return
        with st.lock:
            st.concurrent += 1
            st.max_concurrent = max(st.max_concurrent, st.concurrent)
        try:
            self.create_log(st, url, raw)
        finally:
            with st.lock:
                st.concurrent -= 1

    def create_log(self, st, url, raw):
        with st.lock:
            if not self.carried_api:  # a connection that carried API requests
                self.carried_api = True
                st.connections += 1
            st.requests += 1
            n = st.requests
            f = dict(st.faults)
        if f.get("down_until") and time.time() < f["down_until"]:
            return self.drop()
        if f.get("drop_every") and n % int(f["drop_every"]) == 0:
            return self.drop()
        if f.get("delay_ms"):
            time.sleep(float(f["delay_ms"]) / 1000)
        status = int(f.get("fail_status", 503))
        if (f.get("fail_first") and n <= int(f["fail_first"])) or \
           (f.get("fail_every") and n % int(f["fail_every"]) == 0):
            headers = {}
            if f.get("retry_after") is not None:
                headers["Retry-After"] = str(f["retry_after"])
            return self.reject(status, "InjectedFault", "injected fault %d" % status, headers)

        parts = url.path.split("/")
        if len(parts) != 3 or parts[0] != "" or parts[2] != "logs":
            return self.reject(404, "NotFound", "no such path: %s" % url.path)
        if parts[1] not in st.versions:
            return self.reject(404, "NotFound", "unknown API version %s" % parts[1])
        auth = self.headers.get("Authorization", "")
        if auth != "Bearer " + st.token:
            return self.reject(401, "Unauthorized", "invalid bearer token")
        pid = self.headers.get("x-cm-projectid") or \
            parse_qs(url.query).get("projectId", [None])[0]
        if pid != st.project_id:
            return self.reject(403, "Forbidden", "unknown project id")
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            return self.reject(415, "UnsupportedMediaType", "Content-Type must be application/json")
        if raw is None:
            return self.reject(411, "LengthRequired", "Content-Length is required")
        body, err = check_body(raw)
        if err:
            return self.reject(400, *err)

        log_id = str(uuid.uuid4())
        entry = {"id": log_id, "received_at": time.time(), "version": parts[1],
                 "message": body["message"],
                 "items": body.get("items"), "level": body.get("level"),
                 "raw": raw.decode("utf-8"),
                 "headers": {k.lower(): v for k, v in self.headers.items()}}
        with st.lock:
            st.logs.append(entry)
            if st.record:
                rec = {k: entry[k] for k in ("id", "message", "items", "level")}
                st.record.write(json.dumps(rec, ensure_ascii=False) + "\n")
                st.record.flush()
        self.answer(200, json.dumps({"result": log_id}).encode())

    def reject(self, status, code, message, headers=None):
        with self.server.state.lock:
            self.server.state.rejected += 1
        self.answer(status, service_error(code, message), headers)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the listen backlog: logmash opens 64 connections at once


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--token", default="test-token")
    ap.add_argument("--project-id", default="test-project")
    ap.add_argument("--versions", default="v1,v2")
    ap.add_argument("--record", help="append accepted logs to this file as JSON lines")
    ap.add_argument("--fail-every", type=int)
    ap.add_argument("--fail-status", type=int)
    ap.add_argument("--fail-first", type=int)
    ap.add_argument("--retry-after")
    ap.add_argument("--delay-ms", type=float)
    ap.add_argument("--drop-every", type=int)
    ap.add_argument("--down-for", type=float)
    a = ap.parse_args()

    st = State(a.token, a.project_id, set(a.versions.split(",")), a.record)
    st.faults = {k: v for k, v in {
        "fail_every": a.fail_every, "fail_status": a.fail_status,
        "fail_first": a.fail_first, "retry_after": a.retry_after,
        "delay_ms": a.delay_ms, "drop_every": a.drop_every,
        "down_until": time.time() + a.down_for if a.down_for else None,
    }.items() if v is not None}
    srv = Server(("127.0.0.1", a.port), Handler)
    srv.state = st
    print("listening on %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    sys.exit(main())
