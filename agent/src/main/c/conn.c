/*
 * Control-plane connections: at most MAX_CONNS, each authenticated by its first frame, each with
 * its own cursor in the output and its own buffer of frames to send. Sockets are nonblocking: a
 * connection whose socket is full keeps its cursor and waits for POLLOUT; nobody else waits for it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"

#define INBUF (HEADER + CHUNK)       /* the largest frame the agent takes whole */
#define FRAME_MAX (HEADER + 9 + CHUNK) /* the largest frame the agent sends */
#define OUTBUF (2 * FRAME_MAX)
#define MAX_ERRS 8
#define SEND_BUDGET (1u << 20) /* bytes one connection may send per turn of the loop */
#define CLOSING_MS 1000        /* to deliver the ERROR that explains a close */

static const char *const messages[] = {
    [E_NONE] = "",
    [E_CHANNEL] = "unknown channel",
    [E_STDIN_CLOSED] = "stdin is closed",
    [E_STDIN_LOST] = "stdin is closed: bytes sent to it were not read",
    [E_WINDOW] = "stdin window exceeded: more than 1 MiB sent and not taken",
    [E_EXITED] = "the process has exited",
    [E_SIGNAL] = "no such signal",
    [E_RESUME] = "resume offset beyond the output",
    [E_ACK] = "ack offset beyond the output",
    [E_TYPE] = "unknown frame type",
    [E_LENGTH] = "bad frame length",
    [E_VERSION] = "unsupported protocol version",
    [E_HELLO] = "already authenticated",
    [E_STDIN_OWNER] = "stdin is written by a newer connection",
};

struct conn {
  int used, fd, pi; /* pi: its index in the poll set, -1 if not in it */
  int authed, closing;
  int64_t deadline; /* to authenticate or to finish closing */
  unsigned char in[INBUF];
  size_t inlen;
  uint32_t skip; /* payload bytes of a refused frame still to skip */
  unsigned char out[OUTBUF];
  size_t outoff, outlen;
  int welcome, taken, resumed, exit_queued;
  unsigned hello; /* the number of its HELLO among all accepted ones */
  uint64_t cursor; /* the next output offset to send */
  struct {
    enum err e;
    uint32_t channel;
  } errs[MAX_ERRS];
  int nerrs;
};

static struct conn C[MAX_CONNS];

/*
 * Stdin is taken only from the connection that authenticated last. A control plane that dials
 * again after a broken connection resends stdin from what its WELCOME counted; frames that the
 * broken connection still held in the kernel, read after that count, would arrive twice.
 */
static unsigned hellos;

static void put32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

static void put64(unsigned char *p, uint64_t v) {
  put32(p, (uint32_t)(v >> 32));
  put32(p + 4, (uint32_t)v);
}

static uint32_t get32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const unsigned char *p) { return (uint64_t)get32(p) << 32 | get32(p + 4); }

static void drop(struct conn *c) {
  close(c->fd);
  c->used = 0;
}

static void error(struct conn *c, enum err e, uint32_t channel) {
  if (c->nerrs == MAX_ERRS) {
    /* it asks for what cannot be done faster than it reads the answers */
    drop(c);
    return;
  }
  c->errs[c->nerrs].e = e;
  c->errs[c->nerrs].channel = channel;
  c->nerrs++;
}

/* Says why, then closes: the connection reads no more. */
static void refuse(struct conn *c, enum err e, int64_t now) {
  error(c, e, 0);
  c->closing = 1;
  c->deadline = now + CLOSING_MS;
}

static size_t room(const struct conn *c) { return OUTBUF - c->outlen; }

static unsigned char *frame(struct conn *c, int type, uint32_t channel, uint32_t len) {
  unsigned char *p = c->out + c->outlen;
  p[0] = (unsigned char)type;
  put32(p + 1, channel);
  put32(p + 5, len);
  c->outlen += HEADER + len;
  return p + HEADER;
}

/* Adds the frames that are due, in order, while they fit. */
static void fill(struct conn *c) {
  if (c->outoff) {
    memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
    c->outlen -= c->outoff;
    c->outoff = 0;
  }
  if (c->welcome) {
    if (room(c) < HEADER + 15) return;
    unsigned char *p = frame(c, T_WELCOME, 0, 15);
    p[0] = VERSION >> 8, p[1] = VERSION & 0xff;
    put32(p + 2, (uint32_t)P.pid);
    /* what a control plane that reconnects must not send again, nor fail to send */
    put64(p + 6, P.taken + (P.inlen - P.inoff));
    p[14] = P.in_state == IN_OPEN ? 0 : 1;
    c->welcome = 0;
  }
  while (c->nerrs) {
    size_t n = strlen(messages[c->errs[0].e]);
    if (room(c) < HEADER + n) return;
    memcpy(frame(c, T_ERROR, c->errs[0].channel, (uint32_t)n), messages[c->errs[0].e], n);
    c->nerrs--;
    memmove(c->errs, c->errs + 1, (size_t)c->nerrs * sizeof c->errs[0]);
  }
  if (c->closing || !c->authed) return;
  if (c->taken) {
    if (room(c) < HEADER + 8) return;
    put64(frame(c, T_STDIN_TAKEN, 0, 8), P.taken);
    c->taken = 0;
  }
  if (!c->resumed) return;
  /* bytes below start are gone: the next OUTPUT's offset tells the control plane so */
  if (c->cursor < O.start) c->cursor = O.start;
  while (c->cursor < O.head) {
    uint64_t left = O.head - c->cursor;
    size_t want = left < CHUNK ? (size_t)left : CHUNK;
    if (room(c) < HEADER + 9 + want) return;
    unsigned char *p = c->out + c->outlen;
    int stream;
    size_t n = output_copy(&O, c->cursor, (char *)p + HEADER + 9, want, &stream);
    p[0] = T_OUTPUT;
    put32(p + 1, 0);
    put32(p + 5, (uint32_t)(9 + n));
    put64(p + HEADER, c->cursor);
    p[HEADER + 8] = (unsigned char)stream;
    c->outlen += HEADER + 9 + n;
    c->cursor += n;
  }
  if (P.ended && !c->exit_queued) {
    if (room(c) < HEADER + 13) return;
    unsigned char *p = frame(c, T_EXIT, 0, 13);
    put64(p, O.head);
    put32(p + 8, (uint32_t)P.code);
    p[12] = P.oom_killed ? EXIT_OOM_KILLED : 0;
    c->exit_queued = 1;
  }
}

/* Sends until the socket is full or the turn's budget is spent; returns 1 if more is ready now. */
static int flush(struct conn *c) {
  size_t sent = 0;
  for (;;) {
    fill(c);
    if (c->outoff == c->outlen) {
      c->outoff = c->outlen = 0;
      if (c->closing) drop(c);
      return 0;
    }
    if (sent >= SEND_BUDGET) return 1;
    ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c->outoff += (size_t)n;
      sent += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    drop(c);
    return 0;
  }
}

static void hello(struct conn *c, const unsigned char *p, uint32_t len, int64_t now) {
  /* every byte of the secret is compared, whatever the first difference */
  size_t got = len - 2;
  unsigned diff = got != secret_len;
  for (size_t i = 0; i < secret_len; i++) diff |= secret[i] ^ (i < got ? p[2 + i] : 0u);
  if (diff) {
    drop(c);
    return;
  }
  c->authed = 1;
  c->deadline = 0;
  if ((p[0] << 8 | p[1]) != VERSION) {
    refuse(c, E_VERSION, now);
    return;
  }
  c->welcome = 1;
  c->taken = P.taken > 0;
  c->hello = ++hellos;
}

static void dispatch(struct conn *c, int type, uint32_t ch, const unsigned char *p, uint32_t len,
                     int64_t now) {
  if (!c->authed) {
    hello(c, p, len, now);
    return;
  }
  int fits;
  switch (type) {
    case T_RESUME:
    case T_ACK: fits = len == 8; break;
    case T_STDIN: fits = len <= CHUNK; break;
    case T_STDIN_CLOSE: fits = len == 0; break;
    case T_SIGNAL: fits = len == 1; break;
    case T_HELLO: error(c, E_HELLO, ch); return;
    default: error(c, E_TYPE, ch); return;
  }
  if (!fits) {
    error(c, E_LENGTH, ch);
    return;
  }
  if (ch != 0) {
    error(c, E_CHANNEL, ch);
    return;
  }
  enum err e = E_NONE;
  uint64_t offset = len == 8 ? get64(p) : 0;
  switch (type) {
    case T_RESUME:
      if (offset > O.head) e = E_RESUME, offset = O.head;
      c->cursor = offset;
      c->resumed = 1;
      c->exit_queued = 0;
      break;
    case T_ACK:
      if (offset > O.head) e = E_ACK, offset = O.head;
      if (offset > O.acked) O.acked = offset;
      if (P.ended && c->exit_queued && offset >= O.head) exit_requested = 1;
      break;
    case T_STDIN:
      if (c->hello != hellos) {
        e = E_STDIN_OWNER;
        break;
      }
      e = stdin_take(p, len);
      if (e == E_WINDOW) {
        refuse(c, e, now);
        return;
      }
      break;
    case T_STDIN_CLOSE:
      if (c->hello != hellos)
        e = E_STDIN_OWNER;
      else
        stdin_close();
      break;
    case T_SIGNAL: e = process_signal(p[0]); break;
  }
  if (e) error(c, e, ch);
}

static int known(int type) { return type >= T_HELLO && type <= T_SIGNAL; }

static void receive(struct conn *c, int64_t now) {
  ssize_t n = recv(c->fd, c->in + c->inlen, INBUF - c->inlen, 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (n <= 0) {
    drop(c);
    return;
  }
  c->inlen += (size_t)n;
  size_t at = 0;
  while (c->used && !c->closing) {
    if (c->skip) {
      size_t k = c->inlen - at < c->skip ? c->inlen - at : c->skip;
      at += k;
      c->skip -= (uint32_t)k;
      if (c->skip) break;
      continue;
    }
    if (c->inlen - at < HEADER) break;
    const unsigned char *h = c->in + at;
    uint32_t ch = get32(h + 1), len = get32(h + 5);
    if (!c->authed && (h[0] != T_HELLO || len < 2 || len > 2 + MAX_SECRET)) {
      drop(c);
      return;
    }
    if (len > MAX_PAYLOAD) {
      drop(c);
      return;
    }
    if (len > CHUNK) {
      error(c, known(h[0]) ? E_LENGTH : E_TYPE, ch);
      at += HEADER;
      c->skip = len;
      continue;
    }
    if (c->inlen - at < HEADER + len) break;
    dispatch(c, h[0], ch, h + HEADER, len, now);
    at += HEADER + len;
  }
  if (c->used && at) {
    memmove(c->in, c->in + at, c->inlen - at);
    c->inlen -= at;
  }
}

void conns_accept(int listener, int64_t now) {
  for (int k = 0; k < 2 * MAX_CONNS; k++) {
    int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    struct conn *c = NULL;
    for (int i = 0; i < MAX_CONNS && !c; i++)
      if (!C[i].used) c = &C[i];
    if (!c) {
      close(fd); /* a ninth connection */
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->used = 1, c->fd = fd, c->pi = -1;
    c->authed = c->closing = 0;
    c->deadline = now + HELLO_MS;
    c->inlen = 0, c->skip = 0, c->outoff = c->outlen = 0;
    c->welcome = c->taken = c->resumed = c->exit_queued = 0;
    c->cursor = 0, c->nerrs = 0;
  }
}

int conns_pollfds(struct pollfd *pfd, int at) {
  int n = 0;
  for (int i = 0; i < MAX_CONNS; i++) {
    struct conn *c = &C[i];
    c->pi = -1;
    if (!c->used) continue;
    c->pi = at + n;
    pfd[at + n].fd = c->fd;
    pfd[at + n].events = (short)((c->closing ? 0 : POLLIN) | (c->outlen > c->outoff ? POLLOUT : 0));
    pfd[at + n].revents = 0;
    n++;
  }
  return n;
}

void conns_io(struct pollfd *pfd, int64_t now) {
  for (int i = 0; i < MAX_CONNS; i++) {
    struct conn *c = &C[i];
    if (c->used && c->pi >= 0 && (pfd[c->pi].revents & (POLLIN | POLLHUP | POLLERR))) {
      if (c->closing)
        drop(c);
      else
        receive(c, now);
    }
  }
}

int conns_flush(void) {
  int more = 0;
  for (int i = 0; i < MAX_CONNS; i++)
    if (C[i].used) more |= flush(&C[i]);
  return more;
}

int64_t conns_deadline(void) {
  int64_t d = -1;
  for (int i = 0; i < MAX_CONNS; i++)
    if (C[i].used && C[i].deadline && (d < 0 || C[i].deadline < d)) d = C[i].deadline;
  return d;
}

void conns_expire(int64_t now) {
  for (int i = 0; i < MAX_CONNS; i++)
    if (C[i].used && C[i].deadline && C[i].deadline <= now) drop(&C[i]);
}

void conns_taken(void) {
  for (int i = 0; i < MAX_CONNS; i++)
    if (C[i].used && C[i].authed) C[i].taken = 1;
}

void conns_error_all(enum err e) {
  for (int i = 0; i < MAX_CONNS; i++)
    if (C[i].used && C[i].authed && !C[i].closing) error(&C[i], e, 0);
}

void conns_finish(void) {
  for (int i = 0; i < MAX_CONNS; i++) {
    struct conn *c = &C[i];
    if (!c->used) continue;
    flush(c);
    if (!c->used) continue;
    /* a graceful end: unread input would turn the close into a reset that can lose the EXIT */
    shutdown(c->fd, SHUT_WR);
    while (recv(c->fd, c->in, INBUF, MSG_DONTWAIT) > 0) {
    }
    drop(c);
  }
}
