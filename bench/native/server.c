/*
 * tcpsweep native reference echo server (a measuring stick, not product).
 *
 * N threads, each with its own epoll instance and its own SO_REUSEPORT listening
 * socket, so the kernel spreads incoming connections across threads. Sockets are
 * nonblocking and level-triggered. Each connection accumulates partial reads into
 * a 1024-byte frame buffer; a whole frame is answered:
 *   CLIENT_CHAT (0x13) -> SERVER_ECHO (0x05) with the same length and payload
 *   CLIENT_INFO (0x14) -> SERVER_INFO (0x07) with a short text payload
 *   anything else, or a payload length > 1021 -> the connection is closed.
 * A partially written reply stays in the connection's out buffer; the connection
 * then waits for EPOLLOUT and reads nothing more until the reply is gone.
 *
 * Usage: server -t THREADS -h HOST -p PORT
 * Prints "listening on HOST:PORT" (flushed) once every thread's socket listens.
 * SIGTERM/SIGINT: threads stop, connections are closed, exit 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define FRAME_SIZE 1024
#define HEADER_SIZE 3
#define MAX_PAYLOAD (FRAME_SIZE - HEADER_SIZE)

#define CLIENT_CHAT 0x13
#define CLIENT_INFO 0x14
#define SERVER_ECHO 0x05
#define SERVER_INFO 0x07

#define MAX_EVENTS 256
#define LISTEN_BACKLOG 65535 /* the kernel caps it at net.core.somaxconn */

struct conn {
    int fd;
    uint16_t in_len;  /* bytes of the current incoming frame */
    uint16_t out_off; /* bytes of out[] already written; out_off < out_len means pending */
    uint16_t out_len;
    struct conn *prev, *next;
    uint8_t in[FRAME_SIZE];
    uint8_t out[FRAME_SIZE];
};

struct worker {
    pthread_t tid;
    int index;
    int lfd;
    int epfd;
    struct conn head; /* sentinel of this thread's connection list */
};

/* epoll data.ptr markers for the non-connection fds */
static char listen_marker, wake_marker;

static int g_wake_fd = -1; /* eventfd: becomes readable (and stays so) at shutdown */
static int g_threads = 1;

/* SIGTERM/SIGINT: make the eventfd readable; it stays so (level-triggered, never
 * read), which wakes every worker's epoll_wait. write() is async-signal-safe. */
static void on_stop_signal(int sig) {
    (void)sig;
    int saved = errno;
    uint64_t one = 1;
    ssize_t rc = write(g_wake_fd, &one, sizeof one);
    (void)rc;
    errno = saved;
}

static void die(const char *what) {
    fprintf(stderr, "server: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void conn_close(struct conn *c) {
    close(c->fd); /* also drops it from the epoll set */
    c->prev->next = c->next;
    c->next->prev = c->prev;
    free(c);
}

static int conn_watch(struct worker *w, struct conn *c, uint32_t events) {
    struct epoll_event ev = {.events = events, .data.ptr = c};
    return epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes what is pending in out[]. Returns 0 when everything went, 1 when the
 * socket is full (caller waits for EPOLLOUT), -1 on error. */
static int conn_flush(struct conn *c) {
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, (size_t)(c->out_len - c->out_off), MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off = (uint16_t)(c->out_off + n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 1;
        } else {
            return -1;
        }
    }
    return 0;
}

/* Builds the reply to the whole frame in in[]. Returns -1 if the frame is bad. */
static int conn_answer(struct conn *c) {
    unsigned type = c->in[0];
    unsigned len = (unsigned)c->in[1] | ((unsigned)c->in[2] << 8);
    if (len > MAX_PAYLOAD) return -1;
    if (type == CLIENT_CHAT) {
        c->out[0] = SERVER_ECHO;
        memcpy(c->out + 1, c->in + 1, 2 + len);
        memset(c->out + HEADER_SIZE + len, 0, MAX_PAYLOAD - len);
    } else if (type == CLIENT_INFO) {
        char info[96];
        int n = snprintf(info, sizeof info, "tcpsweep native epoll echo server, %d threads", g_threads);
        if (n < 0) n = 0;
        if ((size_t)n >= sizeof info) n = (int)sizeof info - 1;
        memset(c->out, 0, FRAME_SIZE);
        c->out[0] = SERVER_INFO;
        c->out[1] = (uint8_t)n;
        c->out[2] = 0;
        memcpy(c->out + HEADER_SIZE, info, (size_t)n);
    } else {
        return -1;
    }
    c->out_off = 0;
    c->out_len = FRAME_SIZE;
    c->in_len = 0;
    return 0;
}

static void on_readable(struct worker *w, struct conn *c) {
    ssize_t n;
    do {
        n = recv(c->fd, c->in + c->in_len, (size_t)(FRAME_SIZE - c->in_len), 0);
    } while (n < 0 && errno == EINTR);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        conn_close(c);
        return;
    }
    if (n < 0) return;
    c->in_len = (uint16_t)(c->in_len + n);
    if (c->in_len < FRAME_SIZE) return;
    if (conn_answer(c) < 0) {
        conn_close(c);
        return;
    }
    int rc = conn_flush(c);
    if (rc < 0) {
        conn_close(c);
    } else if (rc == 1 && conn_watch(w, c, EPOLLOUT) < 0) {
        conn_close(c);
    }
}

static void on_writable(struct worker *w, struct conn *c) {
    int rc = conn_flush(c);
    if (rc < 0 || (rc == 0 && conn_watch(w, c, EPOLLIN) < 0)) conn_close(c);
}

static void on_accept(struct worker *w) {
    for (;;) {
        int fd = accept4(w->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* Out of descriptors: the pending connection stays queued and the
                 * level-triggered listener would spin; say so and back off briefly. */
                static int warned;
                if (!warned) {
                    warned = 1;
                    fprintf(stderr, "server: accept: %s (raise ulimit -n)\n", strerror(errno));
                }
                usleep(1000);
            }
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = malloc(sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->in_len = c->out_off = c->out_len = 0;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            close(fd);
            free(c);
            continue;
        }
        c->next = w->head.next;
        c->prev = &w->head;
        w->head.next->prev = c;
        w->head.next = c;
    }
}

static void *worker_main(void *arg) {
    struct worker *w = arg;
    struct epoll_event evs[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(w->epfd, evs, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "server: epoll_wait: %s\n", strerror(errno));
            break;
        }
        int stop = 0;
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &wake_marker) {
                stop = 1;
            } else if (p == &listen_marker) {
                on_accept(w);
            } else {
                struct conn *c = p;
                uint32_t e = evs[i].events;
                if (c->out_off < c->out_len) {
                    if (e & (EPOLLOUT | EPOLLERR | EPOLLHUP)) on_writable(w, c);
                } else if (e & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                    on_readable(w, c); /* a hangup or error shows up as recv() 0 / -1 */
                }
            }
        }
        if (stop) break;
    }
    while (w->head.next != &w->head) conn_close(w->head.next);
    return NULL;
}

static void usage(const char *prog) {
    fprintf(stderr, "Usage: %s -t THREADS -h HOST -p PORT\n", prog);
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1", *port = "12345";
    int opt;
    while ((opt = getopt(argc, argv, "t:h:p:")) != -1) {
        switch (opt) {
        case 't': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (end == optarg || *end || v < 1 || v > 1024) {
                fprintf(stderr, "server: bad -t %s\n", optarg);
                return 2;
            }
            g_threads = (int)v;
            break;
        }
        case 'h': host = optarg; break;
        case 'p': port = optarg; break;
        default: usage(argv[0]); return 2;
        }
    }
    if (optind != argc) {
        usage(argv[0]);
        return 2;
    }

    signal(SIGPIPE, SIG_IGN);

    struct addrinfo hints, *res;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int grc = getaddrinfo(host, port, &hints, &res);
    if (grc != 0) {
        fprintf(stderr, "server: cannot resolve %s:%s: %s\n", host, port, gai_strerror(grc));
        return 1;
    }

    g_wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (g_wake_fd < 0) die("eventfd");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0) die("sigaction");

    struct worker *ws = calloc((size_t)g_threads, sizeof *ws);
    if (!ws) die("calloc");
    for (int i = 0; i < g_threads; i++) {
        struct worker *w = &ws[i];
        w->index = i;
        w->head.next = w->head.prev = &w->head;
        w->lfd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (w->lfd < 0) die("socket");
        int one = 1;
        if (setsockopt(w->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) die("SO_REUSEADDR");
        if (setsockopt(w->lfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) die("SO_REUSEPORT");
        if (bind(w->lfd, res->ai_addr, res->ai_addrlen) < 0) die("bind");
        if (listen(w->lfd, LISTEN_BACKLOG) < 0) die("listen");
        w->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (w->epfd < 0) die("epoll_create1");
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &listen_marker};
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->lfd, &ev) < 0) die("epoll_ctl listen");
        ev.data.ptr = &wake_marker;
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, g_wake_fd, &ev) < 0) die("epoll_ctl wake");
    }
    freeaddrinfo(res);

    for (int i = 0; i < g_threads; i++) {
        int rc = pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]);
        if (rc != 0) {
            errno = rc;
            die("pthread_create");
        }
    }

    printf("listening on %s:%s\n", host, port);
    fflush(stdout);

    /* Workers return once a stop signal has made the eventfd readable. */
    for (int i = 0; i < g_threads; i++) {
        pthread_join(ws[i].tid, NULL);
        close(ws[i].epfd);
        close(ws[i].lfd);
    }
    close(g_wake_fd);
    free(ws);
    return 0;
}
