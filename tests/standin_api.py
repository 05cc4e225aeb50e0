#!/usr/bin/env python3
"""A stand-in for the CodeMash Logs API ("Create Log"), for tests and the demo.

It checks each request as strictly as the contract in DESIGN.md section 1
reads, answers {"result": LOG_ID}, records what it accepted, and injects
faults on demand. It listens on 127.0.0.1 only.

usage: standin_api.py [--port N] [--token T] [--project-id P] [--record FILE]
                      [--fail-every N --fail-status S] [--fail-first N]
                      [--retry-after S] [--delay-ms MS] [--drop-every N]
                      [--down-for SECONDS] [--tls-cert PEM --tls-key PEM]

It prints "listening on PORT" once ready (use --port 0 for a free port).
It speaks HTTP/1.1, and HTTP/2 to clients that choose it: through ALPN with
--tls-cert, or in cleartext by opening with its preface (prior knowledge).
Each HTTP/2 stream is answered on a thread of its own, so the requests of one
connection are answered concurrently.

Control (JSON, on the same port):
  GET  /_standin/logs    what was accepted, in order of arrival
  GET  /_standin/stats   counts of requests, accepted, rejected, by status
  POST /_standin/faults  set faults: {"fail_every": 3, "fail_status": 503, ...};
                         {"token": "new"} changes the token it accepts
  POST /_standin/reset   forget logs and counters, clear faults
"""
import argparse
import json
import select
import socket
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LEVELS = {"Information", "Warning", "Error"}
FAULT_KEYS = {"fail_every", "fail_status", "fail_first", "fail_request", "retry_after", "delay_ms",
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
        self.http2_requests = 0  # API requests that came as HTTP/2 streams
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
        if self.server.tls:  # the handshake, in this connection's thread
            self.request = self.server.tls.wrap_socket(self.request, server_side=True)
        super().setup()
        self.carried_api = False

    def handle(self):
        if isinstance(self.request, ssl.SSLSocket):  # ALPN chose the protocol
            if self.request.selected_alpn_protocol() == "h2":
                H2Connection(self).serve()
            else:
                super().handle()
            return
        preface, waits = b"", 0
        while len(preface) < len(H2_PREFACE) and H2_PREFACE.startswith(preface) and waits < 100:
            got = self.request.recv(len(H2_PREFACE), socket.MSG_PEEK)
            if not got:
                return
            if len(got) == len(preface):  # the rest of a split preface is on its way
                waits += 1
                time.sleep(0.01)
            preface = got
        if preface == H2_PREFACE:
            H2Connection(self).serve()
        else:
            super().handle()

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
                                   "http2_requests": st.http2_requests,
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
            if self.request_version == "HTTP/2":
                st.http2_requests += 1
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
           (f.get("fail_request") and n == int(f["fail_request"])) or \
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


H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


class H2Headers(dict):
    """Request headers of a stream: names are lower-case in HTTP/2."""
    def get(self, name, default=None):
        return super().get(name.lower(), default)


class H2Stream:
    """One HTTP/2 request, answered by the same code as an HTTP/1.1 one."""
    request_version = "HTTP/2"
    do_GET, do_POST, control = Handler.do_GET, Handler.do_POST, Handler.control
    create_log, reject = Handler.create_log, Handler.reject

    def __init__(self, conn, stream_id, headers, body):
        self.conn, self.stream_id, self.raw = conn, stream_id, bytes(body)
        self.server = conn.handler.server
        self.headers = H2Headers(headers)
        self.path = self.headers.get(":path", "/")
        self.command = self.headers.get(":method", "GET")

    @property
    def carried_api(self):
        return self.conn.handler.carried_api

    @carried_api.setter
    def carried_api(self, v):
        self.conn.handler.carried_api = v

    def read_body(self):
        return self.raw

    def answer(self, status, body=b"", headers=None):
        with self.server.state.lock:
            self.server.state.count(status)
        hdrs = [(":status", str(status)), ("content-type", "application/json"),
                ("content-length", str(len(body))), ("server", Handler.server_version)]
        hdrs += [(k.lower(), str(v)) for k, v in (headers or {}).items()]
        self.conn.send(lambda c: (c.send_headers(self.stream_id, hdrs),
                                  c.send_data(self.stream_id, body, end_stream=True)))

    def drop(self):
        self.conn.close()  # the whole connection, as a network failure would

    def run(self):
        try:
            (self.do_POST if self.command == "POST" else self.do_GET)()
        except Exception:  # a stream reset or a closed connection
            pass


class H2Connection:
    """One HTTP/2 connection. All its socket I/O happens on the thread that
    serves it (an SSL socket cannot be read and written from two threads at
    once); streams answer from their own threads through queued actions."""
    def __init__(self, handler):
        import h2.config
        import h2.connection
        self.handler, self.sock = handler, handler.request
        self.lock = threading.Lock()
        self.actions = []
        self.wake_r, self.wake_w = socket.socketpair()
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(
            client_side=False, header_encoding="utf-8"))

    def send(self, fn):
        """Runs fn(h2 connection) on the connection's thread, then sends."""
        with self.lock:
            self.actions.append(fn)
        try:
            self.wake_w.send(b"x")
        except OSError:  # the connection is gone
            pass

    def close(self):
        self.send(None)

    def serve(self):
        import h2.events
        try:
            self.loop(h2.events)
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.wake_r.close()
            self.wake_w.close()

    def loop(self, events_mod):
        self.h2.initiate_connection()
        self.sock.sendall(self.h2.data_to_send())
        streams = {}
        while True:
            pending = isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()
            ready = [self.sock] if pending else \
                select.select([self.sock, self.wake_r], [], [])[0]
            if self.wake_r in ready:
                self.wake_r.recv(4096)
                with self.lock:
                    actions, self.actions = self.actions, []
                for fn in actions:
                    if fn is None:  # a dropped connection
                        return
                    fn(self.h2)
            if self.sock in ready:
                data = self.sock.recv(65536)
                if not data:
                    return
                for ev in self.h2.receive_data(data):
                    if isinstance(ev, events_mod.RequestReceived):
                        streams[ev.stream_id] = (ev.headers, bytearray())
                    elif isinstance(ev, events_mod.DataReceived):
                        streams[ev.stream_id][1].extend(ev.data)
                        self.h2.acknowledge_received_data(ev.flow_controlled_length,
                                                          ev.stream_id)
                    elif isinstance(ev, events_mod.StreamEnded):
                        hdrs, body = streams.pop(ev.stream_id)
                        threading.Thread(target=H2Stream(self, ev.stream_id, hdrs, body).run,
                                         daemon=True).start()
                    elif isinstance(ev, events_mod.StreamReset):
                        streams.pop(ev.stream_id, None)
                    elif isinstance(ev, events_mod.ConnectionTerminated):
                        return
            out = self.h2.data_to_send()
            if out:
                self.sock.sendall(out)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the listen backlog: logmash opens 64 connections at once
    tls = None  # an SSLContext: HTTPS, with HTTP/2 offered through ALPN

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError)):
            return  # a client that refused the certificate, or went away
        super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0,
                    help="port on 127.0.0.1 (default 0: a free one, printed as 'listening on PORT')")
    ap.add_argument("--token", default="test-token",
                    help="the bearer token it accepts (default test-token); others get 401")
    ap.add_argument("--project-id", default="test-project",
                    help="the x-cm-projectid it accepts (default test-project); others get 403")
    ap.add_argument("--versions", default="v1,v2",
                    help="API versions served at /VERSION/logs (default v1,v2); others get 404")
    ap.add_argument("--record", help="append accepted logs to this file as JSON lines")
    ap.add_argument("--fail-every", type=int, metavar="N",
                    help="answer every Nth request with --fail-status instead of accepting it")
    ap.add_argument("--fail-status", type=int, metavar="S",
                    help="the status of injected failures (default 503)")
    ap.add_argument("--fail-first", type=int, metavar="N",
                    help="answer the first N requests with --fail-status")
    ap.add_argument("--retry-after", metavar="S",
                    help="send Retry-After: S (seconds or an HTTP date) with injected failures")
    ap.add_argument("--delay-ms", type=float, metavar="MS",
                    help="answer every request this much later (a distant API)")
    ap.add_argument("--drop-every", type=int, metavar="N",
                    help="close the connection instead of answering every Nth request")
    ap.add_argument("--down-for", type=float, metavar="SECONDS",
                    help="close every connection unanswered for this long after start: an outage")
    ap.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (and --tls-key)")
    ap.add_argument("--tls-key", help="the certificate's PEM private key")
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
    if a.tls_cert:
        srv.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        srv.tls.load_cert_chain(a.tls_cert, a.tls_key)
        srv.tls.set_alpn_protocols(["h2", "http/1.1"])
    print("listening on %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    sys.exit(main())
