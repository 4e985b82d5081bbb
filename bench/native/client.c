/*
 * tcpsweep native reference client (a measuring stick, not product).
 *
 * Reproduces the reference Rust echo-bench client -- one thread per connection,
 * blocking write of a whole 1024-byte CLIENT_CHAT frame, then blocking read of a
 * whole 1024-byte reply -- but measures honestly:
 *   - a shared phase (WARMUP -> MEASURE -> STOP); only requests sent while the
 *     phase is MEASURE are counted, and so are their replies;
 *   - the window starts after every thread has made its connect attempt and the
 *     warmup has elapsed;
 *   - at STOP threads send nothing more but finish the read already in flight
 *     (bounded by SO_RCVTIMEO), so a healthy server shows 100% success;
 *   - rates divide by the measured window (CLOCK_MONOTONIC), not the nominal -t;
 *   - partial reads are reassembled; per-request latency goes into a per-thread
 *     log-linear histogram (64 sub-buckets per power of two, <= 0.8% error).
 *
 * Usage: client -a host:port -c N -t SECONDS [-w WARMUP_SECONDS] [-l L]
 * stdout: the reference report plus "Latency p50/p99" and "Errors" lines.
 * stderr: an error breakdown. Exit 0 if the run happened, 1 if no connection
 * could be made, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define FRAME_SIZE 1024
#define HEADER_SIZE 3
#define MAX_PAYLOAD (FRAME_SIZE - HEADER_SIZE)

#define CLIENT_CHAT 0x13
#define SERVER_ECHO 0x05
#define SERVER_ACK 0x06
#define SERVER_INFO 0x07

#define IO_TIMEOUT_SEC 5
#define THREAD_STACK (64 * 1024)

enum { PHASE_WARMUP = 0, PHASE_MEASURE = 1, PHASE_STOP = 2 };
enum { ERR_CONNECT, ERR_TIMEOUT, ERR_CLOSED, ERR_BAD_FRAME, ERR_IO, ERR_NCAT };
static const char *const err_names[ERR_NCAT] = {"connect", "timeout", "closed", "bad_frame", "io"};

/* ---- latency histogram (nanoseconds) ----
 * v < 128: exact bucket v. Otherwise, with e = msb(v) - 6 >= 1, bucket 64*e + (v >> e),
 * where v >> e lies in [64, 128): 64 sub-buckets per power of two. */
#define HIST_SUB 64
#define HIST_MAX_MSB 36 /* ~68.7 s; larger values are clamped into the last bucket */
#define HIST_BUCKETS (HIST_SUB * (HIST_MAX_MSB - 6) + 2 * HIST_SUB)

static inline unsigned hist_index(uint64_t v) {
    if (v < 2 * HIST_SUB) return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    if (msb > HIST_MAX_MSB) return HIST_BUCKETS - 1;
    unsigned e = msb - 6;
    return HIST_SUB * e + (unsigned)(v >> e);
}

/* Midpoint of a bucket, in nanoseconds. */
static double hist_value(unsigned idx) {
    if (idx < 2 * HIST_SUB) return (double)idx;
    unsigned e = idx / HIST_SUB - 1;
    uint64_t m = idx % HIST_SUB + HIST_SUB;
    uint64_t lo = m << e, width = (uint64_t)1 << e;
    return (double)lo + (double)(width - 1) / 2.0;
}

/* ---- shared state ---- */
static struct sockaddr_storage g_addr;
static socklen_t g_addrlen;
static int g_length = 1021;          /* payload bytes actually sent (clamped to 1021) */
static atomic_int g_phase = PHASE_WARMUP;
static atomic_int g_attempted = 0;   /* threads whose connect attempt has finished */
static atomic_int g_connected = 0;

struct worker {
    pthread_t tid;
    uint64_t requests, responses;
    uint64_t errors[ERR_NCAT];
    uint32_t *hist; /* HIST_BUCKETS counters */
};

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns) {
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
    }
}

/* Returns 0 on success, else an ERR_* category. */
static int write_frame(int fd, const uint8_t *buf) {
    size_t off = 0;
    while (off < FRAME_SIZE) {
        ssize_t n = send(fd, buf + off, FRAME_SIZE - off, MSG_NOSIGNAL);
        if (n > 0) {
            off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return ERR_TIMEOUT;
        } else if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
            return ERR_CLOSED;
        } else {
            return ERR_IO;
        }
    }
    return 0;
}

/* Reads until a whole frame has arrived, however the bytes are split. */
static int read_frame(int fd, uint8_t *buf) {
    size_t off = 0;
    while (off < FRAME_SIZE) {
        ssize_t n = recv(fd, buf + off, FRAME_SIZE - off, 0);
        if (n > 0) {
            off += (size_t)n;
        } else if (n == 0) {
            return ERR_CLOSED;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return ERR_TIMEOUT;
        } else if (errno == ECONNRESET) {
            return ERR_CLOSED;
        } else {
            return ERR_IO;
        }
    }
    return 0;
}

static void *worker_main(void *arg) {
    struct worker *w = arg;
    uint8_t out[FRAME_SIZE], in[FRAME_SIZE];

    int fd = socket(g_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
        struct timeval tv = {IO_TIMEOUT_SEC, 0};
        int one = 1;
        /* On Linux SO_SNDTIMEO also bounds connect(). */
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        int rc;
        do {
            rc = connect(fd, (const struct sockaddr *)&g_addr, g_addrlen);
        } while (rc < 0 && errno == EINTR);
        if (rc < 0) {
            close(fd);
            fd = -1;
        }
    }
    if (fd < 0) {
        w->errors[ERR_CONNECT]++;
        atomic_fetch_add(&g_attempted, 1);
        return NULL;
    }
    atomic_fetch_add(&g_connected, 1);
    atomic_fetch_add(&g_attempted, 1);

    memset(out, 0, sizeof out);
    out[0] = CLIENT_CHAT;
    out[1] = (uint8_t)(g_length & 0xff);
    out[2] = (uint8_t)(g_length >> 8);
    for (int i = 0; i < g_length; i++) out[HEADER_SIZE + i] = (uint8_t)('a' + i % 26);

    for (;;) {
        int phase = atomic_load_explicit(&g_phase, memory_order_acquire);
        if (phase == PHASE_STOP) break;
        int counted = phase == PHASE_MEASURE;

        uint64_t t0 = now_ns();
        int err = write_frame(fd, out);
        if (err) {
            w->errors[err]++;
            break;
        }
        if (counted) w->requests++;

        /* Even after STOP, finish this in-flight read (bounded by SO_RCVTIMEO). */
        err = read_frame(fd, in);
        uint64_t t1 = now_ns();
        if (err) {
            w->errors[err]++;
            break;
        }
        unsigned type = in[0];
        unsigned len = (unsigned)in[1] | ((unsigned)in[2] << 8);
        if ((type != SERVER_ECHO && type != SERVER_ACK && type != SERVER_INFO) || len > MAX_PAYLOAD) {
            w->errors[ERR_BAD_FRAME]++;
            break; /* the stream may be out of step now */
        }
        if (counted) {
            w->responses++;
            w->hist[hist_index(t1 - t0)]++;
        }
    }
    close(fd);
    return NULL;
}

static int parse_seconds(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 0) || v > 86400) return -1;
    *out = v;
    return 0;
}

static int parse_long(const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int resolve(const char *hostport) {
    char buf[512];
    if (strlen(hostport) >= sizeof buf) return -1;
    strcpy(buf, hostport);
    char *colon = strrchr(buf, ':');
    if (!colon) return -1;
    *colon = '\0';
    char *host = buf, *port = colon + 1;
    if (host[0] == '[') { /* [v6]:port */
        size_t hl = strlen(host);
        if (hl < 2 || host[hl - 1] != ']') return -1;
        host[hl - 1] = '\0';
        host++;
    }
    struct addrinfo hints, *res;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "client: cannot resolve %s: %s\n", hostport, gai_strerror(rc));
        return -1;
    }
    memcpy(&g_addr, res->ai_addr, res->ai_addrlen);
    g_addrlen = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static void usage(const char *prog) {
    fprintf(stderr,
            "Usage: %s -a host:port -c N -t SECONDS [-w WARMUP_SECONDS] [-l L]\n"
            "  -a  server address (default 127.0.0.1:12345)\n"
            "  -c  connections, one thread each (default 50)\n"
            "  -t  measured window in seconds, fractions allowed (default 60)\n"
            "  -w  warmup in seconds before the window (default 1)\n"
            "  -l  payload length; values above %d are clamped to %d (default %d)\n",
            prog, MAX_PAYLOAD, MAX_PAYLOAD, MAX_PAYLOAD);
}

int main(int argc, char **argv) {
    const char *address = "127.0.0.1:12345";
    const char *duration_arg = "60";
    long conns = 50, length = MAX_PAYLOAD;
    double duration = 60, warmup = 1;

    int opt;
    while ((opt = getopt(argc, argv, "a:c:t:w:l:h")) != -1) {
        switch (opt) {
        case 'a': address = optarg; break;
        case 'c':
            if (parse_long(optarg, 1, 1000000, &conns)) { fprintf(stderr, "client: bad -c %s\n", optarg); return 2; }
            break;
        case 't':
            if (parse_seconds(optarg, &duration) || duration <= 0) { fprintf(stderr, "client: bad -t %s\n", optarg); return 2; }
            duration_arg = optarg;
            break;
        case 'w':
            if (parse_seconds(optarg, &warmup)) { fprintf(stderr, "client: bad -w %s\n", optarg); return 2; }
            break;
        case 'l':
            if (parse_long(optarg, 0, 65535, &length)) { fprintf(stderr, "client: bad -l %s\n", optarg); return 2; }
            break;
        case 'h': usage(argv[0]); return 0;
        default: usage(argv[0]); return 2;
        }
    }
    if (optind != argc) { usage(argv[0]); return 2; }
    g_length = length > MAX_PAYLOAD ? MAX_PAYLOAD : (int)length;
    if (resolve(address)) { fprintf(stderr, "client: bad address %s (want host:port)\n", address); return 2; }
    signal(SIGPIPE, SIG_IGN);

    struct worker *ws = calloc((size_t)conns, sizeof *ws);
    uint32_t *hists = calloc((size_t)conns * HIST_BUCKETS, sizeof *hists);
    if (!ws || !hists) { fprintf(stderr, "client: out of memory\n"); return 2; }

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, THREAD_STACK);
    long spawned = 0;
    uint64_t spawn_failures = 0;
    for (long i = 0; i < conns; i++) {
        ws[i].hist = hists + (size_t)i * HIST_BUCKETS;
        int rc = pthread_create(&ws[i].tid, &attr, worker_main, &ws[i]);
        if (rc != 0) {
            fprintf(stderr, "client: pthread_create failed after %ld threads: %s\n", spawned, strerror(rc));
            spawn_failures = (uint64_t)(conns - i);
            break;
        }
        spawned++;
    }
    pthread_attr_destroy(&attr);

    /* Every thread has made its connect attempt (each bounded by SO_SNDTIMEO). */
    while (atomic_load(&g_attempted) < spawned) sleep_ns(1000000);

    uint64_t w0 = now_ns(), w1 = w0;
    if (atomic_load(&g_connected) > 0) {
        sleep_ns((uint64_t)(warmup * 1e9));
        w0 = now_ns();
        atomic_store_explicit(&g_phase, PHASE_MEASURE, memory_order_release);
        sleep_ns((uint64_t)(duration * 1e9));
        atomic_store_explicit(&g_phase, PHASE_STOP, memory_order_release);
        w1 = now_ns();
    } else {
        atomic_store_explicit(&g_phase, PHASE_STOP, memory_order_release); /* nothing to measure */
    }

    for (long i = 0; i < spawned; i++) pthread_join(ws[i].tid, NULL);

    uint64_t requests = 0, responses = 0, errors = 0, errs[ERR_NCAT] = {0};
    errs[ERR_CONNECT] = spawn_failures;
    static uint64_t merged[HIST_BUCKETS];
    for (long i = 0; i < spawned; i++) {
        requests += ws[i].requests;
        responses += ws[i].responses;
        for (int k = 0; k < ERR_NCAT; k++) errs[k] += ws[i].errors[k];
        for (unsigned b = 0; b < HIST_BUCKETS; b++) merged[b] += ws[i].hist[b];
    }
    for (int k = 0; k < ERR_NCAT; k++) errors += errs[k];

    double p50 = 0, p99 = 0;
    if (responses > 0) {
        uint64_t want50 = (responses * 50 + 99) / 100, want99 = (responses * 99 + 99) / 100, cum = 0;
        int have50 = 0;
        for (unsigned b = 0; b < HIST_BUCKETS; b++) {
            cum += merged[b];
            if (!have50 && cum >= want50) { p50 = hist_value(b) / 1000.0; have50 = 1; }
            if (cum >= want99) { p99 = hist_value(b) / 1000.0; break; }
        }
    }

    double window = (double)(w1 - w0) / 1e9;
    printf("Benchmarking: %s\n", address);
    printf("%ld clients, running %ld bytes, %s sec.\n", conns, length, duration_arg);
    printf("\n");
    printf("Speed: %.2f request/sec, %.2f response/sec\n", window > 0 ? (double)requests / window : 0.0,
           window > 0 ? (double)responses / window : 0.0);
    printf("Requests: %llu\n", (unsigned long long)requests);
    printf("Responses: %llu\n", (unsigned long long)responses);
    printf("Success rate: %.2f%%\n", requests ? 100.0 * (double)responses / (double)requests : 0.0);
    printf("Latency p50: %.1f us, p99: %.1f us\n", p50, p99);
    printf("Errors: %llu\n", (unsigned long long)errors);
    fflush(stdout);

    fprintf(stderr, "window %.6f s, connected %d/%ld, errors:", window, atomic_load(&g_connected), conns);
    for (int k = 0; k < ERR_NCAT; k++) fprintf(stderr, " %s=%llu", err_names[k], (unsigned long long)errs[k]);
    fprintf(stderr, "\n");

    free(hists);
    free(ws);
    return atomic_load(&g_connected) > 0 ? 0 : 1;
}
