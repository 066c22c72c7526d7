/*
 * The load generator of the e2e-vs-ircd scenario: one process, one epoll loop, the same code
 * against every server, so the comparison measures the servers and not the clients.
 *
 * It connects N IRC clients, registers them (NICK/USER, answering PING), joins one channel,
 * then feeds `rate` lines per second for `duration-ms`, either as JSON Lines on an ingest port
 * (the logcaster example) or as PRIVMSG from feeder IRC clients (an IRC daemon). Each line
 * carries `lcbench:<µs>:<seq>`, µs read from CLOCK_MONOTONIC just before the line is written;
 * a client that reads it subtracts that from its own CLOCK_MONOTONIC. Lines whose seq falls in
 * the first `warmup-ms` are delivered but not timed (the JIT of a Node server warms up there).
 *
 * Prints one JSON object on stdout. Compiled at run time by bench/lib/irc-load.ts (gcc -O2);
 * no binary is committed.
 *
 * Usage: irc-load --port P --clients N --channel '#c' --rate R --duration-ms D --warmup-ms W
 *                 (--ingest-port Q | --privmsg) [--feeders F]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#define CARRY_MAX 8192
#define OUT_MAX (1 << 20)
#define READ_MAX (256 * 1024)
/* Histogram: 10 µs buckets up to 20 s. */
#define BUCKET_US 10
#define BUCKETS (20 * 1000 * 1000 / BUCKET_US)

enum kind { MEMBER, FEEDER_IRC, FEEDER_INGEST };
enum state { CONNECTING, REGISTERING, JOINED, DEAD };

struct conn {
  int fd;
  enum kind kind;
  enum state state;
  int index;
  int carry_len;
  char carry[CARRY_MAX];
  /* Pending output (feeders only; members write a few bytes and never block). */
  char *out;
  int out_len;
};

static uint32_t *histogram;
static uint64_t timed = 0, received = 0, max_us = 0;
static int port, ingest_port = -1, clients = 0, rate = 0, duration_ms = 0, warmup_ms = 0, feeders = 1;
static int use_privmsg = 0;
static const char *channel = "#bench";
static int joined = 0, dead = 0, registering = 0;
static long long warmup_seq = 0;
static char read_buf[READ_MAX + CARRY_MAX];
static int epfd;
static char first_error[512] = "";

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void die(const char *what) {
  perror(what);
  exit(2);
}

static void note_error(const char *line, int len) {
  if (first_error[0] != '\0') return;
  if (len > (int)sizeof first_error - 1) len = sizeof first_error - 1;
  memcpy(first_error, line, len);
  first_error[len] = '\0';
  for (int i = 0; i < len; i++)
    if (first_error[i] == '"' || first_error[i] == '\\' || (unsigned char)first_error[i] < 32) first_error[i] = '?';
}

static void flush_out(struct conn *c) {
  while (c->out_len > 0) {
    ssize_t n = write(c->fd, c->out, c->out_len);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      return; /* the read side sees the close */
    }
    memmove(c->out, c->out + n, c->out_len - n);
    c->out_len -= n;
  }
}

static void send_text(struct conn *c, const char *text, int len) {
  if (c->state == DEAD) return;
  if (c->out == NULL) c->out = malloc(OUT_MAX);
  if (c->out_len + len > OUT_MAX) {
    note_error("load generator: a feeder's output buffer is full (the server stopped reading)", 78);
    return;
  }
  memcpy(c->out + c->out_len, text, len);
  c->out_len += len;
  flush_out(c);
}

static struct conn *open_conn(int to_port, enum kind kind, int index) {
  struct conn *c = calloc(1, sizeof *c);
  c->kind = kind;
  c->index = index;
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (c->fd < 0) die("socket");
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(to_port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) die("connect");
  c->state = CONNECTING;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl");
  return c;
}

static void on_connected(struct conn *c) {
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
  epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
  if (c->kind == FEEDER_INGEST) {
    c->state = JOINED;
    return;
  }
  c->state = REGISTERING;
  char text[128];
  const char *prefix = c->kind == MEMBER ? "c" : "f";
  int len = snprintf(text, sizeof text, "NICK %s%d\r\nUSER %s%d 0 * :bench\r\n", prefix, c->index, prefix, c->index);
  send_text(c, text, len);
}

/* The command word of an IRC line (after optional tags and source). */
static const char *command_of(const char *line, int len, int *word_len) {
  const char *p = line, *end = line + len;
  if (p < end && *p == '@') {
    while (p < end && *p != ' ') p++;
    while (p < end && *p == ' ') p++;
  }
  if (p < end && *p == ':') {
    while (p < end && *p != ' ') p++;
    while (p < end && *p == ' ') p++;
  }
  const char *w = p;
  while (p < end && *p != ' ') p++;
  *word_len = (int)(p - w);
  return w;
}

static void on_line(struct conn *c, const char *line, int len, uint64_t arrival) {
  if (c->kind == FEEDER_INGEST) {
    /* Anything the ingest port says is an error reply (rate limit, bad line). */
    note_error(line, len);
    return;
  }
  if (len >= 5 && memcmp(line, "PING ", 5) == 0) {
    char text[600];
    int n = snprintf(text, sizeof text, "PONG %.*s\r\n", len - 5, line + 5);
    send_text(c, text, n);
    return;
  }
  if (c->state == JOINED) {
    if (c->kind != MEMBER) return;
    const char *mark = memmem(line, len, "lcbench:", 8);
    if (mark == NULL) return;
    const char *p = mark + 8, *end = line + len;
    uint64_t sent = 0;
    long long seq = 0;
    while (p < end && *p >= '0' && *p <= '9') sent = sent * 10 + (*p++ - '0');
    if (p >= end || *p != ':') return;
    p++;
    while (p < end && *p >= '0' && *p <= '9') seq = seq * 10 + (*p++ - '0');
    received++;
    if (seq < warmup_seq) return;
    uint64_t us = arrival > sent ? arrival - sent : 0;
    if (us > max_us) max_us = us;
    uint64_t bucket = us / BUCKET_US;
    if (bucket >= BUCKETS) bucket = BUCKETS - 1;
    histogram[bucket]++;
    timed++;
    return;
  }
  int wl;
  const char *w = command_of(line, len, &wl);
  if (wl == 3 && memcmp(w, "001", 3) == 0) {
    char text[128];
    int n = snprintf(text, sizeof text, "JOIN %s\r\n", channel);
    send_text(c, text, n);
  } else if (wl == 3 && memcmp(w, "366", 3) == 0) {
    c->state = JOINED;
    registering--;
    joined++;
  } else if ((wl == 5 && memcmp(w, "ERROR", 5) == 0) || (wl == 3 && (w[0] == '4' || w[0] == '5'))) {
    note_error(line, len);
  }
}

static void on_readable(struct conn *c) {
  uint64_t arrival = now_us();
  for (;;) {
    memcpy(read_buf, c->carry, c->carry_len);
    ssize_t n = read(c->fd, read_buf + c->carry_len, READ_MAX);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      if (c->state == REGISTERING) registering--;
      c->state = DEAD;
      dead++;
      epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
      close(c->fd);
      return;
    }
    if (n < 0) return;
    int total = c->carry_len + (int)n, start = 0;
    for (int i = 0; i < total; i++) {
      if (read_buf[i] != '\n') continue;
      int end = i;
      if (end > start && read_buf[end - 1] == '\r') end--;
      on_line(c, read_buf + start, end - start, arrival);
      if (c->state == DEAD) return;
      start = i + 1;
    }
    c->carry_len = total - start;
    if (c->carry_len > CARRY_MAX) c->carry_len = 0; /* a line longer than any server sends */
    memcpy(c->carry, read_buf + start, c->carry_len);
    if (n < READ_MAX) return;
  }
}

static void poll_once(int timeout_ms) {
  struct epoll_event events[256];
  int n = epoll_wait(epfd, events, 256, timeout_ms);
  for (int i = 0; i < n; i++) {
    struct conn *c = events[i].data.ptr;
    if (c->state == DEAD) continue;
    if (c->state == CONNECTING) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        errno = err;
        die("connect");
      }
      on_connected(c);
      continue;
    }
    if (events[i].events & EPOLLOUT) flush_out(c);
    if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c);
  }
}

static int arg_int(const char *value) { return atoi(value); }

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : "";
    if (strcmp(a, "--privmsg") == 0) use_privmsg = 1;
    else if (strcmp(a, "--port") == 0) port = arg_int(v), i++;
    else if (strcmp(a, "--ingest-port") == 0) ingest_port = arg_int(v), i++;
    else if (strcmp(a, "--clients") == 0) clients = arg_int(v), i++;
    else if (strcmp(a, "--channel") == 0) channel = v, i++;
    else if (strcmp(a, "--rate") == 0) rate = arg_int(v), i++;
    else if (strcmp(a, "--duration-ms") == 0) duration_ms = arg_int(v), i++;
    else if (strcmp(a, "--warmup-ms") == 0) warmup_ms = arg_int(v), i++;
    else if (strcmp(a, "--feeders") == 0) feeders = arg_int(v), i++;
    else {
      fprintf(stderr, "irc-load: unknown argument %s\n", a);
      return 2;
    }
  }
  if (port <= 0 || clients <= 0 || rate <= 0 || duration_ms <= 0 || feeders <= 0 || (!use_privmsg && ingest_port <= 0)) {
    fprintf(stderr, "irc-load: need --port, --clients, --rate, --duration-ms and --ingest-port or --privmsg\n");
    return 2;
  }
  histogram = calloc(BUCKETS, sizeof *histogram);
  epfd = epoll_create1(0);
  if (epfd < 0) die("epoll_create1");

  /* Members, at most 8 registering at a time (ngircd listens with a backlog of 10: a burst of connects beyond it stalls for tens of seconds). */
  uint64_t connect_started = now_us();
  struct conn **members = calloc(clients, sizeof *members);
  int opened = 0;
  while (joined < clients) {
    while (opened < clients && registering < 8) {
      members[opened] = open_conn(port, MEMBER, opened);
      opened++;
      registering++;
    }
    poll_once(10);
    if (dead > 0 || now_us() - connect_started > 60u * 1000000u) {
      fprintf(stderr, "irc-load: %d of %d clients joined, %d closed; first error: %s\n", joined, clients, dead, first_error);
      return 1;
    }
  }
  struct conn **feed = calloc(feeders, sizeof *feed);
  for (int i = 0; i < feeders; i++) {
    feed[i] = open_conn(use_privmsg ? port : ingest_port, use_privmsg ? FEEDER_IRC : FEEDER_INGEST, i);
    if (use_privmsg) registering++;
  }
  for (;;) {
    int ready = 0;
    for (int i = 0; i < feeders; i++) ready += feed[i]->state == JOINED;
    if (ready == feeders) break;
    poll_once(10);
    if (dead > 0 || now_us() - connect_started > 90u * 1000000u) {
      fprintf(stderr, "irc-load: feeders did not get ready; first error: %s\n", first_error);
      return 1;
    }
  }
  uint64_t connect_us = now_us() - connect_started;
  /* Let the server settle after the join storm. */
  uint64_t settle = now_us() + 300000;
  while (now_us() < settle) poll_once(10);

  long long total = (long long)rate * duration_ms / 1000;
  warmup_seq = (long long)rate * warmup_ms / 1000;
  uint64_t started = now_us();
  long long seq = 0;
  char line[256];
  while (seq < total) {
    uint64_t now = now_us();
    long long due = (long long)((now - started) * (uint64_t)rate / 1000000u) + 1;
    if (due > total) due = total;
    while (seq < due) {
      struct conn *f = feed[seq % feeders];
      uint64_t stamp = now_us();
      int n = use_privmsg
                  ? snprintf(line, sizeof line, "PRIVMSG %s :lcbench:%llu:%lld\r\n", channel, (unsigned long long)stamp, seq)
                  : snprintf(line, sizeof line, "{\"level\":\"info\",\"service\":\"bench\",\"message\":\"lcbench:%llu:%lld\"}\n",
                             (unsigned long long)stamp, seq);
      send_text(f, line, n);
      seq++;
    }
    /* Wake up in time for the next line (epoll's resolution is 1 ms). */
    uint64_t next = started + (uint64_t)seq * 1000000u / (uint64_t)rate;
    now = now_us();
    poll_once(next > now ? (int)((next - now + 999) / 1000) : 0);
  }
  uint64_t feed_us = now_us() - started;
  /* Drain: wait for every line to arrive, at most 3 s. */
  uint64_t expected = (uint64_t)total * clients;
  uint64_t drain_until = now_us() + 3000000;
  while (received < expected && now_us() < drain_until && dead < clients) poll_once(5);

  uint64_t timed_expected = (uint64_t)(total - warmup_seq) * clients;
  double q[4] = {0.5, 0.9, 0.99, 0.999};
  double out[4] = {0, 0, 0, 0};
  for (int k = 0; k < 4; k++) {
    uint64_t rank = (uint64_t)(q[k] * (double)timed + 0.999999), seen = 0;
    for (int b = 0; b < BUCKETS; b++) {
      seen += histogram[b];
      if (seen >= rank && rank > 0) {
        out[k] = (double)((b + 1) * BUCKET_US) / 1000.0;
        break;
      }
    }
  }
  printf("{\"clients\":%d,\"sent\":%lld,\"received\":%llu,\"expected\":%llu,\"timed\":%llu,\"timedExpected\":%llu,"
         "\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f,\"feedMs\":%.1f,\"connectMs\":%.1f,"
         "\"closed\":%d,\"firstError\":\"%s\"}\n",
         clients, total, (unsigned long long)received, (unsigned long long)expected, (unsigned long long)timed,
         (unsigned long long)timed_expected, out[0], out[1], out[2], out[3], (double)max_us / 1000.0,
         (double)feed_us / 1000.0, (double)connect_us / 1000.0, dead, first_error);
  return 0;
}
