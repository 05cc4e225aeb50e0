#!/usr/bin/env python3
"""A stand-in for the Logs API across the internet: Debian's nginx
terminating TLS (HTTP/2 by ALPN, or HTTP/1.1) in front of backend.c, which
answers each request a round trip later and serves at most a capacity of
requests at once; the rest are refused after the round trip, or at once
with --refuse-at-once (a gateway's concurrency cap).

usage: remote_api.py [--delay-ms 50] [--capacity C] [--refuse 503|429]
                     [--refuse-at-once] [--retry-after S] [--record FILE]

It prints its URLs and runs until interrupted; `make` builds the backend.
Tests and the benchmark use the RemoteAPI class. Everything listens on
127.0.0.1 only, and everything it starts is stopped on exit, also when a
test fails.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
BACKEND = os.path.join(HERE, "backend")
NGINX = "/usr/sbin/nginx"
TOKEN = "test-token-0123456789"
PROJECT = "test-project"

# Debian's nginx run by a user, in a folder of its own: the start of the
# configurations here and of the benchmark's loopback nginx (tests/bench.py).
NGINX_HEAD = """
worker_processes %(workers)d;
daemon off;
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log error;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path %(dir)s/body;
    proxy_temp_path %(dir)s/proxy;
    fastcgi_temp_path %(dir)s/fastcgi;
    uwsgi_temp_path %(dir)s/uwsgi;
    scgi_temp_path %(dir)s/scgi;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
"""

NGINX_CONF = NGINX_HEAD + """
    http2_max_concurrent_streams 512;
    upstream backend {
        server 127.0.0.1:%(backend)d;
        keepalive 2048;
        keepalive_requests 10000000;
        keepalive_timeout 300s;
    }
    ssl_certificate %(dir)s/cert.pem;
    ssl_certificate_key %(dir)s/key.pem;
    server {
        listen 127.0.0.1:%(h2)d ssl http2;
        listen 127.0.0.1:%(h1)d ssl;
        listen 127.0.0.1:%(plain)d;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Client-Conn $connection;
            proxy_set_header X-Client-Proto $server_protocol;
            proxy_buffering off;
        }
    }
}
"""


def make_certificate(folder):
    """A self-signed certificate for 127.0.0.1: (cert, key) PEM paths."""
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RemoteAPI:
    """nginx and the backend on free ports. Attributes: url (HTTPS, HTTP/2
    by ALPN), h1_url (HTTPS, HTTP/1.1 only), plain_url (cleartext
    HTTP/1.1), cert (the CA file to trust)."""

    def __init__(self, delay_ms=50, capacity=0, refuse=503, retry_after=1, record=None,
                 workers=1, token=TOKEN, project=PROJECT, refuse_at_once=False):
        if not os.path.exists(BACKEND):
            raise RuntimeError("build the backend first: make tests/remote/backend")
        self.dir = tempfile.mkdtemp(prefix="logmash-remote-")
        self.procs = []
        self.token, self.project = token, project
        try:
            self._start(delay_ms, capacity, refuse, retry_after, record, workers,
                        refuse_at_once)
        except BaseException:
            self.stop()
            raise

    def _start(self, delay_ms, capacity, refuse, retry_after, record, workers, refuse_at_once):
        self.cert, _ = make_certificate(self.dir)
        args = [BACKEND, "--port", "0", "--delay-ms", str(delay_ms), "--capacity",
                str(capacity), "--refuse", str(refuse), "--retry-after", str(retry_after),
                "--refuse-at-once", str(int(refuse_at_once)),
                "--token", self.token, "--project-id", self.project]
        if record:
            args += ["--record", record]
        be = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        self.procs.append(be)
        line = be.stdout.readline()
        if not line.startswith("listening on "):
            raise RuntimeError("the backend did not start: %r" % line)
        self.backend_port = int(line.split()[2])
        self.ports = {"h2": _free_port(), "h1": _free_port(), "plain": _free_port()}
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF % dict(self.ports, dir=self.dir, backend=self.backend_port,
                                      workers=workers))
        ngx = subprocess.Popen([NGINX, "-c", conf, "-p", self.dir],
                               stderr=subprocess.PIPE, text=True)
        self.procs.append(ngx)
        self.url = "https://127.0.0.1:%d" % self.ports["h2"]
        self.h1_url = "https://127.0.0.1:%d" % self.ports["h1"]
        self.plain_url = "http://127.0.0.1:%d" % self.ports["plain"]
        end = time.time() + 10
        while True:
            try:
                self.stats()
                break
            except OSError:
                if ngx.poll() is not None:
                    raise RuntimeError("nginx did not start: %s" % ngx.stderr.read())
                if time.time() > end:
                    raise
                time.sleep(0.05)

    def _control(self, path):
        # Straight to the backend: the control never waits behind the API.
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.backend_port, path),
                                    data=b"" if "stats" not in path else None,
                                    timeout=10) as r:
            return json.load(r)

    def stats(self):
        return self._control("/_remote/stats")

    def set(self, **kw):
        """delay_ms, capacity, refuse, refuse_at_once, retry_after, down: now,
        while running."""
        q = "&".join("%s=%s" % (k, int(v) if isinstance(v, bool) else v) for k, v in kw.items())
        return self._control("/_remote/set?" + q)

    def reset(self):
        return self._control("/_remote/reset")

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.procs = []
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--delay-ms", type=float, default=50)
    ap.add_argument("--capacity", type=int, default=0)
    ap.add_argument("--refuse", type=int, default=503)
    ap.add_argument("--refuse-at-once", action="store_true")
    ap.add_argument("--retry-after", type=int, default=1)
    ap.add_argument("--record")
    a = ap.parse_args()
    with RemoteAPI(a.delay_ms, a.capacity, a.refuse, a.retry_after, a.record,
                   refuse_at_once=a.refuse_at_once) as api:
        print("HTTPS, HTTP/2:  %s   (trust %s)" % (api.url, api.cert))
        print("HTTPS, HTTP/1.1: %s" % api.h1_url)
        print("HTTP/1.1:        %s" % api.plain_url)
        print("control:         http://127.0.0.1:%d/_remote/stats" % api.backend_port)
        print("token %s, project %s" % (TOKEN, PROJECT), flush=True)
        signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
