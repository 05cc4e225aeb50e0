/* backend.c - the stand-in for a distant Logs API, behind nginx.
 *
 * nginx (tests/remote/remote_api.py) terminates TLS and HTTP/2 and passes
 * each request here over kept-alive HTTP/1.1 connections. This server adds
 * what a distant, busy API does: every answer comes --delay-ms after its
 * request (the round trip: the kernel here has no netem), and at most
 * --capacity requests are served at once; the rest are refused with 503,
 * or 429 and Retry-After, after the same delay (the API itself refusing)
 * or at once with --refuse-at-once (a gateway in front of it that caps
 * concurrency). It is one epoll loop with a heap of answers due,
 * so that it costs a few microseconds a request and is never what a
 * benchmark measures.
 *
 *   POST /v1/logs, /v2/logs     the API: {"result": "ID"} after the delay
 *   GET  /_remote/stats         counts, as JSON
 *   POST /_remote/set?K=V&...   delay_ms, capacity (0: none), refuse (503 or
 *                               429), refuse_at_once (1: no delay for a
 *                               refusal), retry_after (s), down (1: 503 to all)
 *   POST /_remote/reset         zeroes the counts
 *
 * It checks the bearer token and the project id header, counts the
 * distinct client connections nginx reports (X-Client-Conn), and appends
 * each accepted body to --record FILE, flushed at each stats request.
 * Listens on 127.0.0.1 only; prints "listening on PORT" once ready. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 65536

struct conn {
	int open;
	unsigned gen;        /* bumped when the fd is reused: stale answers are dropped */
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off;
	int busy;            /* a request is waiting for its answer */
	int held;            /* ... and it counts against the capacity */
	int close_after;
};

struct due {
	int64_t at_us;
	int fd;
	unsigned gen;
	int status;
};

static struct conn conns[MAX_FDS];
static struct due *heap;
static size_t n_heap, cap_heap;
static int epfd;
static volatile sig_atomic_t stop;

/* Settings and counts. */
static int64_t delay_us = 50000;
static long capacity, retry_after = 1;
static int refuse_status = 503, refuse_at_once, down;
static const char *token = "test-token", *project = "test-project";
static FILE *record;
static uint64_t requests, accepted, refused, active, max_active, h2_requests, ids;
static uint64_t by_status[600];
/* Requests being served, integrated over time since the last reset. */
static double active_area;
static int64_t active_since_us, active_changed_us;
static uint64_t *seen_conns; /* an open-addressing set of nginx connection numbers */
static size_t seen_cap = 1 << 16, n_seen;

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "backend: out of memory\n");
		exit(1);
	}
	return p;
}

static void active_add(int d)
{
	int64_t now = now_us();
	active_area += (double)active * (double)(now - active_changed_us);
	active_changed_us = now;
	active = (uint64_t)((int64_t)active + d);
	if (active > max_active)
		max_active = active;
}

static void heap_push(struct due d)
{
	if (n_heap == cap_heap) {
		cap_heap = cap_heap ? cap_heap * 2 : 1024;
		heap = xrealloc(heap, cap_heap * sizeof *heap);
	}
	size_t i = n_heap++;
	while (i && heap[(i - 1) / 2].at_us > d.at_us) {
		heap[i] = heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap[i] = d;
}

static struct due heap_pop(void)
{
	struct due top = heap[0], last = heap[--n_heap];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n_heap)
			break;
		if (c + 1 < n_heap && heap[c + 1].at_us < heap[c].at_us)
			c++;
		if (heap[c].at_us >= last.at_us)
			break;
		heap[i] = heap[c];
		i = c;
	}
	if (n_heap)
		heap[i] = last;
	return top;
}

static void note_conn(uint64_t id)
{
	size_t mask = seen_cap - 1, i = (size_t)(id * 0x9E3779B97F4A7C15u) & mask;
	if (n_seen * 2 >= seen_cap)
		return; /* enough to tell "a few" from "many" */
	while (seen_conns[i] && seen_conns[i] != id + 1)
		i = (i + 1) & mask;
	if (!seen_conns[i]) {
		seen_conns[i] = id + 1;
		n_seen++;
	}
}

static void close_conn(int fd)
{
	struct conn *c = &conns[fd];
	if (c->held)
		active_add(-1);
	epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	free(c->in);
	free(c->out);
	unsigned gen = c->gen + 1;
	memset(c, 0, sizeof *c);
	c->gen = gen;
}

static void flush_out(int fd)
{
	struct conn *c = &conns[fd];
	while (c->out_off < c->out_len) {
		ssize_t n = write(fd, c->out + c->out_off, c->out_len - c->out_off);
		if (n < 0 && errno == EAGAIN) {
			struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.fd = fd};
			epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
			return;
		}
		if (n <= 0) {
			close_conn(fd);
			return;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	if (c->close_after)
		close_conn(fd);
}

static void respond(int fd, int status, const char *extra, const char *body)
{
	struct conn *c = &conns[fd];
	const char *reason = status == 200 ? "OK" : status == 429 ? "Too Many Requests"
			     : status == 503 ? "Service Unavailable" : status == 401 ? "Unauthorized"
			     : status == 404 ? "Not Found" : "Bad Request";
	size_t blen = strlen(body);
	size_t need = c->out_len + blen + 256 + strlen(extra);
	c->out = xrealloc(c->out, need);
	int n = snprintf(c->out + c->out_len, need - c->out_len,
			 "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n%s",
			 status, reason, blen, extra, body);
	c->out_len += (size_t)n;
	flush_out(fd);
}

static void answer_due(struct due d)
{
	struct conn *c = &conns[d.fd];
	if (!c->open || c->gen != d.gen)
		return;
	c->busy = 0;
	by_status[d.status]++;
	if (c->held) {
		c->held = 0;
		active_add(-1);
	}
	char body[160], extra[64] = "";
	if (d.status == 200) {
		snprintf(body, sizeof body, "{\"result\":\"5f0c2c5e-%012llx\"}", (unsigned long long)++ids);
	} else if (d.status == 401) {
		snprintf(body, sizeof body, "{\"responseStatus\":{\"errorCode\":\"Unauthorized\","
			 "\"message\":\"bad token or project\",\"errors\":[]}}");
	} else {
		snprintf(body, sizeof body, "{\"responseStatus\":{\"errorCode\":\"%s\","
			 "\"message\":\"over capacity\",\"errors\":[]}}",
			 d.status == 429 ? "TooManyRequests" : "ServiceUnavailable");
		if (d.status == 429)
			snprintf(extra, sizeof extra, "Retry-After: %ld\r\n", retry_after);
	}
	respond(d.fd, d.status, extra, body);
}

/* The value of header name (case-insensitive) in the head, or NULL; its
 * length in *len. */
static const char *header(const char *head, size_t head_len, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	const char *p = memchr(head, '\n', head_len), *end = head + head_len;
	while (p && p + 1 + nl + 1 < end) {
		p++;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			const char *e = memchr(v, '\r', (size_t)(end - v));
			*len = e ? (size_t)(e - v) : 0;
			return v;
		}
		p = memchr(p, '\n', (size_t)(end - p));
	}
	return NULL;
}

/* Requests served at once, on average over time since the reset. */
static double mean_active(void)
{
	active_add(0);
	int64_t span = active_changed_us - active_since_us;
	return span > 0 ? active_area / (double)span : 0.0;
}

static void stats_json(int fd)
{
	char body[2048], st[1024] = "";
	size_t k = 0;
	for (int i = 100; i < 600; i++)
		if (by_status[i] && k < sizeof st - 32)
			k += (size_t)snprintf(st + k, sizeof st - k, "%s\"%d\":%llu", k ? "," : "", i,
					      (unsigned long long)by_status[i]);
	if (record)
		fflush(record);
	snprintf(body, sizeof body,
		 "{\"requests\":%llu,\"accepted\":%llu,\"refused\":%llu,\"active\":%llu,"
		 "\"max_active\":%llu,\"mean_active\":%.2f,\"client_connections\":%zu,"
		 "\"http2_requests\":%llu,\"capacity\":%ld,\"delay_ms\":%.1f,\"down\":%d,"
		 "\"refuse_at_once\":%d,\"statuses\":{%s}}",
		 (unsigned long long)requests, (unsigned long long)accepted,
		 (unsigned long long)refused, (unsigned long long)active,
		 (unsigned long long)max_active, mean_active(),
		 n_seen, (unsigned long long)h2_requests, capacity, (double)delay_us / 1000, down,
		 refuse_at_once, st);
	respond(fd, 200, "", body);
}

static void set_from_query(const char *q, size_t len)
{
	char buf[512];
	snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1), q);
	for (char *save = NULL, *kv = strtok_r(buf, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		if (!eq)
			continue;
		*eq = '\0';
		double v = atof(eq + 1);
		if (strcmp(kv, "delay_ms") == 0)
			delay_us = (int64_t)(v * 1000);
		else if (strcmp(kv, "capacity") == 0)
			capacity = (long)v;
		else if (strcmp(kv, "refuse") == 0)
			refuse_status = (int)v == 429 ? 429 : 503;
		else if (strcmp(kv, "refuse_at_once") == 0)
			refuse_at_once = v != 0;
		else if (strcmp(kv, "retry_after") == 0)
			retry_after = (long)v;
		else if (strcmp(kv, "down") == 0)
			down = v != 0;
	}
}

static int authorised(const char *head, size_t hl)
{
	size_t al, pl, tl = strlen(token);
	const char *a = header(head, hl, "authorization", &al);
	const char *p = header(head, hl, "x-cm-projectid", &pl);
	return a && p && al == tl + 7 && strncmp(a, "Bearer ", 7) == 0 &&
	       memcmp(a + 7, token, tl) == 0 && pl == strlen(project) && memcmp(p, project, pl) == 0;
}

static void api_request(int fd, const char *head, size_t hl, const char *body, size_t blen)
{
	struct conn *c = &conns[fd];
	size_t vl;
	const char *v = header(head, hl, "x-client-conn", &vl);
	if (v)
		note_conn(strtoull(v, NULL, 10));
	v = header(head, hl, "x-client-proto", &vl);
	if (v && vl >= 6 && strncmp(v, "HTTP/2", 6) == 0)
		h2_requests++;
	requests++;
	int status = 200;
	int64_t after = delay_us;
	if (!authorised(head, hl)) {
		status = 401;
	} else if (down) {
		status = 503;
	} else if (capacity > 0 && active >= (uint64_t)capacity) {
		status = refuse_status;
		refused++;
		if (refuse_at_once)
			after = 0;
	} else {
		accepted++;
		c->held = 1;
		active_add(1);
		if (record) {
			fwrite(body, 1, blen, record);
			fputc('\n', record);
		}
	}
	c->busy = 1;
	heap_push((struct due){now_us() + after, fd, c->gen, status});
}

/* Handles the request at the head of the input, if whole; 1 if one was. */
static int handle(int fd)
{
	struct conn *c = &conns[fd];
	if (c->busy || !c->in_len)
		return 0;
	char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
	if (!end)
		return 0;
	size_t hl = (size_t)(end - c->in) + 4, cl = 0, vl;
	const char *v = header(c->in, hl, "content-length", &vl);
	if (v)
		cl = strtoul(v, NULL, 10);
	if (c->in_len < hl + cl)
		return 0;
	v = header(c->in, hl, "connection", &vl);
	if (v && vl == 5 && strncasecmp(v, "close", 5) == 0)
		c->close_after = 1;
	const char *path = memchr(c->in, ' ', hl);
	path = path ? path + 1 : c->in;
	const char *pe = memchr(path, ' ', hl - (size_t)(path - c->in));
	size_t plen = pe ? (size_t)(pe - path) : 0;
	const char *q = memchr(path, '?', plen);
	if (plen >= 8 && (strncmp(path, "/v1/logs", 8) == 0 || strncmp(path, "/v2/logs", 8) == 0) &&
	    strncmp(c->in, "POST ", 5) == 0) {
		api_request(fd, c->in, hl, c->in + hl, cl);
	} else if (plen >= 13 && strncmp(path, "/_remote/stats", 14) == 0) {
		stats_json(fd);
	} else if (plen >= 12 && strncmp(path, "/_remote/set", 12) == 0) {
		if (q)
			set_from_query(q + 1, plen - (size_t)(q + 1 - path));
		respond(fd, 200, "", "{}");
	} else if (plen >= 14 && strncmp(path, "/_remote/reset", 14) == 0) {
		requests = accepted = refused = max_active = h2_requests = 0;
		active_area = 0;
		active_since_us = active_changed_us = now_us();
		memset(by_status, 0, sizeof by_status);
		memset(seen_conns, 0, seen_cap * sizeof *seen_conns);
		n_seen = 0;
		max_active = active;
		respond(fd, 200, "", "{}");
	} else {
		respond(fd, 404, "", "{\"responseStatus\":{\"errorCode\":\"NotFound\",\"message\":\"no such path\",\"errors\":[]}}");
	}
	if (!c->open)
		return 0;
	memmove(c->in, c->in + hl + cl, c->in_len - hl - cl);
	c->in_len -= hl + cl;
	return 1;
}

static void on_readable(int fd)
{
	struct conn *c = &conns[fd];
	for (;;) {
		if (c->in_cap - c->in_len < 16384) {
			c->in_cap = c->in_cap * 2 + 16384;
			c->in = xrealloc(c->in, c->in_cap);
		}
		ssize_t n = read(fd, c->in + c->in_len, c->in_cap - c->in_len);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			close_conn(fd);
			return;
		}
		c->in_len += (size_t)n;
	}
	while (c->open && handle(fd))
		;
}

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	int port = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		if (strcmp(k, "--port") == 0)
			port = atoi(v);
		else if (strcmp(k, "--delay-ms") == 0)
			delay_us = (int64_t)(atof(v) * 1000);
		else if (strcmp(k, "--capacity") == 0)
			capacity = atol(v);
		else if (strcmp(k, "--refuse") == 0)
			refuse_status = atoi(v) == 429 ? 429 : 503;
		else if (strcmp(k, "--refuse-at-once") == 0)
			refuse_at_once = atoi(v) != 0;
		else if (strcmp(k, "--retry-after") == 0)
			retry_after = atol(v);
		else if (strcmp(k, "--token") == 0)
			token = v;
		else if (strcmp(k, "--project-id") == 0)
			project = v;
		else if (strcmp(k, "--record") == 0) {
			record = fopen(v, "a");
			if (!record) {
				perror(v);
				return 2;
			}
		} else {
			fprintf(stderr, "backend: unknown option %s\n", k);
			return 2;
		}
	}
	seen_conns = calloc(seen_cap, sizeof *seen_conns);
	active_since_us = active_changed_us = now_us();
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = {.sa_handler = on_stop};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	if (!seen_conns || ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) != 0 ||
	    listen(ls, 4096) != 0 || getsockname(ls, (struct sockaddr *)&a, &al) != 0) {
		perror("backend: listen");
		return 1;
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
	if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, ls, &ev) != 0) {
		perror("backend: epoll");
		return 1;
	}
	printf("listening on %d\n", ntohs(a.sin_port));
	fflush(stdout);
	struct epoll_event evs[256];
	while (!stop) {
		int timeout = -1;
		if (n_heap) {
			int64_t wait = heap[0].at_us - now_us();
			timeout = wait <= 0 ? 0 : (int)((wait + 999) / 1000);
		}
		int n = epoll_wait(epfd, evs, 256, timeout);
		if (n < 0 && errno != EINTR) {
			perror("backend: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == ls) {
				int cfd;
				while ((cfd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					if (cfd >= MAX_FDS) {
						close(cfd);
						continue;
					}
					setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
					conns[cfd].open = 1;
					struct epoll_event ce = {.events = EPOLLIN, .data.fd = cfd};
					epoll_ctl(epfd, EPOLL_CTL_ADD, cfd, &ce);
				}
				continue;
			}
			if (!conns[fd].open)
				continue;
			if (evs[i].events & EPOLLOUT) {
				struct epoll_event ce = {.events = EPOLLIN, .data.fd = fd};
				epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ce);
				flush_out(fd);
			}
			if (conns[fd].open && evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				on_readable(fd);
		}
		int64_t now = now_us();
		while (n_heap && heap[0].at_us <= now) {
			struct due d = heap_pop();
			answer_due(d);
			if (conns[d.fd].open && conns[d.fd].gen == d.gen)
				while (conns[d.fd].open && handle(d.fd))
					;
		}
	}
	if (record)
		fclose(record);
	return 0;
}
