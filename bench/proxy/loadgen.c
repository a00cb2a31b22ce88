/*
 * loadgen: the origin and the load generator of bench/proxy, one mode per run.
 *
 *   server   --listen A:P                  TCP echo origin: every byte read is written back
 *   rr       --to A:P --conns C --size N   C kept-alive connections, one N-byte request in
 *                                          flight on each; requests/s and latency
 *   connrate --to A:P --conns C --size N   C slots, each: connect, request, reply, close, again
 *   idle     --to A:P --conns C --size N   opens C connections, one request/reply on each,
 *                                          then holds them until the time is up
 *   udpflood --to A:P --size N --rate R    N-byte datagrams at R per second (0: flat out)
 *   udprecv  --listen A:P                  counts datagrams until --quiet-ms pass without one
 *
 * Every mode is bounded by --seconds and exits. --ready FILE is created once a server listens
 * (server, udprecv) or once every connection is up (idle). Results are one line of key=value.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 256
#define HIST_US 200000 /* latency histogram: 1 µs buckets up to 200 ms, then one overflow bucket */
#define UDP_BATCH 32

static struct {
    const char *mode, *ready;
    struct sockaddr_in listen, to;
    int conns, size, quiet_ms;
    double seconds, rate;
} opt = {.conns = 64, .size = 64, .seconds = 5, .quiet_ms = 300};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what) {
    fprintf(stderr, "loadgen %s: %s: %s\n", opt.mode, what, strerror(errno));
    exit(1);
}

static struct sockaddr_in parse_addr(const char *text) {
    struct sockaddr_in sa = {.sin_family = AF_INET};
    char host[64];
    const char *colon = strrchr(text, ':');
    if (!colon || colon - text >= (long)sizeof host) goto bad;
    memcpy(host, text, colon - text);
    host[colon - text] = 0;
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) goto bad;
    sa.sin_port = htons(atoi(colon + 1));
    return sa;
bad:
    fprintf(stderr, "loadgen: bad address %s (want IPv4:PORT)\n", text);
    exit(2);
}

static void mark_ready(void) {
    if (!opt.ready) return;
    FILE *f = fopen(opt.ready, "w");
    if (!f) die("ready file");
    fclose(f);
}

static void add(int ep, int fd, uint32_t events, uint32_t data) {
    struct epoll_event ev = {.events = events, .data.u32 = data};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll add");
}

static void modify(int ep, int fd, uint32_t events, uint32_t data) {
    struct epoll_event ev = {.events = events, .data.u32 = data};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0) die("epoll mod");
}

static void no_delay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Starts a non-blocking connect; returns the socket, or -1 if it failed at once. */
static int start_connect(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    no_delay(fd);
    if (connect(fd, (struct sockaddr *)&opt.to, sizeof opt.to) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* ---- server: TCP echo origin -------------------------------------------------------- */

/* Bytes read but not yet written back, per socket; reading pauses until they are gone. */
struct pending { char *buf; size_t off, len; };

static int run_server(void) {
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd, (struct sockaddr *)&opt.listen, sizeof opt.listen) < 0) die("bind");
    if (listen(lfd, 4096) < 0) die("listen");
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    struct pending *pend = calloc(rl.rlim_cur, sizeof *pend);
    int ep = epoll_create1(0);
    add(ep, lfd, EPOLLIN, lfd);
    mark_ready();
    static char buf[65536];
    long accepted = 0;
    double deadline = now() + opt.seconds;
    while (now() < deadline) {
        struct epoll_event evs[MAX_EVENTS];
        int n = epoll_wait(ep, evs, MAX_EVENTS, 100);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.u32;
            if (fd == lfd) {
                int c;
                while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    no_delay(c);
                    add(ep, c, EPOLLIN, c);
                    accepted++;
                }
                continue;
            }
            struct pending *p = &pend[fd];
            if (p->len > p->off) { /* writable again: flush what is left, then read again */
                ssize_t w = write(fd, p->buf + p->off, p->len - p->off);
                if (w < 0 && errno != EAGAIN) goto gone;
                if (w > 0) p->off += w;
                if (p->off == p->len) { p->off = p->len = 0; modify(ep, fd, EPOLLIN, fd); }
                continue;
            }
            ssize_t r = read(fd, buf, sizeof buf);
            if (r == 0 || (r < 0 && errno != EAGAIN)) goto gone;
            if (r < 0) continue;
            ssize_t w = write(fd, buf, r);
            if (w < 0 && errno != EAGAIN) goto gone;
            if (w < 0) w = 0;
            if (w < r) {
                p->buf = realloc(p->buf, r - w);
                memcpy(p->buf, buf + w, r - w);
                p->off = 0;
                p->len = r - w;
                modify(ep, fd, EPOLLOUT, fd);
            }
            continue;
        gone:
            free(p->buf);
            *p = (struct pending){0};
            close(fd);
        }
    }
    printf("accepted=%ld\n", accepted);
    return 0;
}

/* ---- rr: requests on kept-alive connections ----------------------------------------- */

static double percentile(const uint32_t *hist, uint64_t total, double q) {
    uint64_t rank = (uint64_t)(q * total), seen = 0;
    for (int us = 0; us <= HIST_US; us++)
        if ((seen += hist[us]) > rank) return us;
    return HIST_US;
}

static int run_rr(void) {
    struct conn { int fd, got; double sent_at; } *c = calloc(opt.conns, sizeof *c);
    uint32_t *hist = calloc(HIST_US + 1, sizeof *hist);
    char *req = calloc(1, opt.size), *buf = malloc(opt.size);
    int ep = epoll_create1(0), open_conns = opt.conns;
    long errors = 0;
    for (int i = 0; i < opt.conns; i++) {
        c[i].fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(c[i].fd, (struct sockaddr *)&opt.to, sizeof opt.to) < 0) die("connect");
        no_delay(c[i].fd);
    }
    /* A request is written only on an empty connection, so one write of `size` bytes fits. */
    double start = now(), deadline = start + opt.seconds;
    for (int i = 0; i < opt.conns; i++) {
        add(ep, c[i].fd, EPOLLIN, i);
        c[i].sent_at = now();
        if (write(c[i].fd, req, opt.size) != opt.size) die("write");
    }
    uint64_t done = 0;
    double t = start;
    while (open_conns > 0 && (t = now()) < deadline) {
        struct epoll_event evs[MAX_EVENTS];
        int n = epoll_wait(ep, evs, MAX_EVENTS, 100);
        t = now();
        for (int i = 0; i < n; i++) {
            struct conn *k = &c[evs[i].data.u32];
            ssize_t r = read(k->fd, buf, opt.size - k->got);
            if (r < 0 && errno == EAGAIN) continue;
            if (r <= 0) { errors++; open_conns--; close(k->fd); continue; }
            if ((k->got += r) < opt.size) continue;
            if (t >= deadline) continue; /* replies after the deadline do not count */
            double us = (t - k->sent_at) * 1e6;
            hist[us < HIST_US ? (int)us : HIST_US]++;
            done++;
            k->got = 0;
            k->sent_at = t;
            if (write(k->fd, req, opt.size) != opt.size) { errors++; open_conns--; close(k->fd); }
        }
    }
    double secs = (t < deadline ? t : deadline) - start;
    printf("requests=%llu seconds=%.3f rps=%.1f p50_us=%.0f p99_us=%.0f errors=%ld\n",
           (unsigned long long)done, secs, done / secs, percentile(hist, done, 0.50),
           percentile(hist, done, 0.99), errors);
    return 0;
}

/* ---- connrate and idle: the same connect → request → reply steps ------------------- */

enum { FREE, CONNECTING, WAITING_REPLY, HELD };
struct slot { int fd, got, state; };

/* Starts slot i's connection; false if connect failed at once (e.g. no free local port). */
static int open_slot(int ep, struct slot *s, int i) {
    s->got = 0;
    s->fd = start_connect();
    if (s->fd < 0) { s->state = FREE; return 0; }
    s->state = CONNECTING;
    add(ep, s->fd, EPOLLOUT, i);
    return 1;
}

/* Moves slot i on by one event; returns 1 when its reply is complete, -1 on an error. */
static int step_slot(int ep, struct slot *s, int i, const char *req, char *buf) {
    if (s->state == CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err || write(s->fd, req, opt.size) != opt.size) return -1;
        s->state = WAITING_REPLY;
        modify(ep, s->fd, EPOLLIN, i);
        return 0;
    }
    ssize_t r = read(s->fd, buf, opt.size);
    if (r < 0 && errno == EAGAIN) return 0;
    if (r <= 0 || s->state == HELD) return -1; /* a held connection must stay silent */
    return (s->got += r) >= opt.size ? 1 : 0;
}

static void close_slot(struct slot *s) {
    close(s->fd);
    s->fd = -1;
    s->state = FREE;
}

static int run_connrate(void) {
    struct slot *s = calloc(opt.conns, sizeof *s);
    char *req = calloc(1, opt.size), *buf = malloc(opt.size);
    int ep = epoll_create1(0);
    long done = 0, errors = 0;
    double start = now(), deadline = start + opt.seconds, t = start;
    for (int i = 0; i < opt.conns; i++) errors += !open_slot(ep, &s[i], i);
    while ((t = now()) < deadline) {
        struct epoll_event evs[MAX_EVENTS];
        int n = epoll_wait(ep, evs, MAX_EVENTS, 1);
        for (int e = 0; e < n; e++) {
            int i = evs[e].data.u32, r = step_slot(ep, &s[i], i, req, buf);
            if (r == 0) continue;
            if (r > 0) done++; else errors++;
            close_slot(&s[i]);
        }
        /* Slots whose connect failed or finished start again; a failing connect is retried
         * once per loop turn (the 1 ms epoll timeout paces it). */
        for (int i = 0; i < opt.conns; i++)
            if (s[i].state == FREE) errors += !open_slot(ep, &s[i], i);
    }
    double secs = t - start;
    printf("connections=%ld seconds=%.3f cps=%.1f errors=%ld\n", done, secs, done / secs, errors);
    return 0;
}

static int run_idle(void) {
    const int in_flight = 256; /* connects at once, so no listen backlog overflows */
    struct slot *s = calloc(opt.conns, sizeof *s); /* all FREE */
    char *req = calloc(1, opt.size), *buf = malloc(opt.size);
    int ep = epoll_create1(0), pending = 0, held = 0, ready = 0;
    long errors = 0, dropped = 0;
    double start = now(), deadline = start + opt.seconds, opened_in = 0;
    while (now() < deadline) {
        /* Until all are held: (re)open free slots while fewer than in_flight are on their way. */
        for (int i = 0; i < opt.conns && !ready && pending < in_flight; i++) {
            if (s[i].state != FREE) continue;
            if (!open_slot(ep, &s[i], i)) { errors++; break; }
            pending++;
        }
        struct epoll_event evs[MAX_EVENTS];
        int n = epoll_wait(ep, evs, MAX_EVENTS, 10);
        for (int e = 0; e < n; e++) {
            int i = evs[e].data.u32, was_held = s[i].state == HELD;
            int r = step_slot(ep, &s[i], i, req, buf);
            if (r == 0) continue;
            if (r > 0) { s[i].state = HELD; pending--; held++; continue; }
            errors++;
            close_slot(&s[i]);
            if (was_held) { held--; dropped++; } else pending--;
        }
        if (!ready && held == opt.conns) {
            ready = 1;
            opened_in = now() - start;
            mark_ready();
        }
    }
    printf("held=%d opened_in=%.3f dropped=%ld errors=%ld\n", held, opened_in, dropped, errors);
    return 0;
}

/* ---- UDP: a paced sender and a counting receiver ------------------------------------ */

static int run_udpflood(void) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (connect(fd, (struct sockaddr *)&opt.to, sizeof opt.to) < 0) die("connect");
    char *payload = calloc(1, opt.size);
    struct iovec iov = {.iov_base = payload, .iov_len = opt.size};
    struct mmsghdr msgs[UDP_BATCH];
    for (int i = 0; i < UDP_BATCH; i++) msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov, .msg_iovlen = 1}};
    uint64_t sent = 0, errors = 0;
    double start = now(), deadline = start + opt.seconds, t;
    while ((t = now()) < deadline) {
        /* How many datagrams are due by now at the asked rate, at most one batch at a time. */
        int64_t due = opt.rate > 0 ? (int64_t)((t - start) * opt.rate) - (int64_t)sent : UDP_BATCH;
        if (due <= 0) {
            struct timespec nap = {0, 20000};
            nanosleep(&nap, NULL);
            continue;
        }
        int n = sendmmsg(fd, msgs, due < UDP_BATCH ? due : UDP_BATCH, 0);
        if (n > 0) sent += n;
        else errors++; /* e.g. ECONNREFUSED when nothing listens yet */
    }
    printf("sent=%llu seconds=%.3f pps=%.1f errors=%llu\n", (unsigned long long)sent, t - start,
           sent / (t - start), (unsigned long long)errors);
    return 0;
}

static int run_udprecv(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), bytes = 4 << 20;
    /* A large buffer, so the receiver is not where datagrams are lost. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    if (bind(fd, (struct sockaddr *)&opt.listen, sizeof opt.listen) < 0) die("bind");
    mark_ready();
    static char bufs[64][2048];
    struct iovec iov[64];
    struct mmsghdr msgs[64];
    for (int i = 0; i < 64; i++) {
        iov[i] = (struct iovec){bufs[i], sizeof bufs[i]};
        msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
    }
    uint64_t received = 0;
    double start = now(), deadline = start + opt.seconds, first = 0, last = 0, t;
    while ((t = now()) < deadline && !(received && t - last > opt.quiet_ms / 1e3)) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 20) <= 0) continue;
        int n;
        while ((n = recvmmsg(fd, msgs, 64, MSG_DONTWAIT, NULL)) > 0) {
            if (!received) first = now();
            received += n;
        }
        last = now();
    }
    printf("received=%llu first_to_last=%.3f\n", (unsigned long long)received, received ? last - first : 0);
    return 0;
}

/* ---- command line ------------------------------------------------------------------- */

int main(int argc, char **argv) {
    if (argc < 2) goto usage;
    opt.mode = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--listen")) opt.listen = parse_addr(v);
        else if (!strcmp(k, "--to")) opt.to = parse_addr(v);
        else if (!strcmp(k, "--conns")) opt.conns = atoi(v);
        else if (!strcmp(k, "--size")) opt.size = atoi(v);
        else if (!strcmp(k, "--seconds")) opt.seconds = atof(v);
        else if (!strcmp(k, "--rate")) opt.rate = atof(v);
        else if (!strcmp(k, "--quiet-ms")) opt.quiet_ms = atoi(v);
        else if (!strcmp(k, "--ready")) opt.ready = v;
        else goto usage;
    }
    if (opt.conns < 1 || opt.size < 1 || opt.seconds <= 0) goto usage;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!strcmp(opt.mode, "server")) return run_server();
    if (!strcmp(opt.mode, "rr")) return run_rr();
    if (!strcmp(opt.mode, "connrate")) return run_connrate();
    if (!strcmp(opt.mode, "idle")) return run_idle();
    if (!strcmp(opt.mode, "udpflood")) return run_udpflood();
    if (!strcmp(opt.mode, "udprecv")) return run_udprecv();
usage:
    fprintf(stderr, "usage: loadgen server|rr|connrate|idle|udpflood|udprecv [--listen A:P] [--to A:P]\n"
                    "         [--conns C] [--size N] [--seconds S] [--rate R] [--quiet-ms Q] [--ready FILE]\n");
    return 2;
}
