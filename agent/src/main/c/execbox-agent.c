/*
 * execbox-agent: a session machine's PID 1 (docs/AGENT.md). It runs the session's command as its
 * child, keeps the command's output until the control plane has acknowledged it, writes stdin to it
 * as it reads, passes signals on, reaps every orphan and reports the exit.
 *
 * One thread and one poll() loop; every descriptor is nonblocking, so that neither a slow
 * connection nor the command can hold up anything else.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

#define USAGE \
  "usage: execbox-agent [--listen ADDR:PORT] [--retain BYTES] [--linger SECONDS]" \
  " -- COMMAND [ARG...]"
#define MAX_RETAIN (1ull << 30)
#define SECRET_VAR "EXECBOX_AGENT_SECRET"
#define AGENT_VARS "EXECBOX_AGENT_"

struct output O;
struct proc P;
unsigned char secret[MAX_SECRET];
size_t secret_len;
int exit_requested;

extern char **environ;

int64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

size_t join(char *dst, size_t cap, ...) {
  size_t n = 0;
  va_list ap;
  va_start(ap, cap);
  for (const char *s; (s = va_arg(ap, const char *));)
    while (*s && n + 1 < cap) dst[n++] = *s++;
  va_end(ap);
  dst[n] = 0;
  return n;
}

/* One line on stderr: "execbox-agent: what[: detail]". */
static void say(const char *what, const char *detail) {
  char line[768];
  size_t n = join(line, sizeof line - 1, "execbox-agent: ", what, detail ? ": " : "",
                  detail ? detail : "", (char *)NULL);
  line[n++] = '\n';
  if (write(2, line, n) < 0) return;
}

static void usage(const char *what, const char *detail) {
  char line[512];
  join(line, sizeof line, what, detail ? " " : "", detail ? detail : "", " (" USAGE ")",
       (char *)NULL);
  say(line, NULL);
  exit(125);
}

static uint64_t number(const char *opt, const char *s, uint64_t lowest, uint64_t highest) {
  char *end;
  errno = 0;
  unsigned long long v = s && *s >= '0' && *s <= '9' ? strtoull(s, &end, 10) : 0;
  if (!s || *s < '0' || *s > '9' || errno || *end || v < lowest || v > highest)
    usage("bad value for", opt);
  return v;
}

/* 127.0.0.1:7070 or [::]:7070 */
static int listen_on(const char *spec) {
  struct sockaddr_storage ss;
  socklen_t len;
  char host[INET6_ADDRSTRLEN + 1];
  const char *port;
  int v6 = spec[0] == '[';
  if (v6) {
    const char *close = strchr(spec, ']');
    if (!close || close[1] != ':' || (size_t)(close - spec - 1) >= sizeof host) return -2;
    memcpy(host, spec + 1, (size_t)(close - spec - 1));
    host[close - spec - 1] = 0;
    port = close + 2;
  } else {
    const char *colon = strrchr(spec, ':');
    if (!colon || (size_t)(colon - spec) >= sizeof host) return -2;
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = 0;
    port = colon + 1;
  }
  char *end;
  unsigned long p = *port >= '0' && *port <= '9' ? strtoul(port, &end, 10) : 0;
  if (p == 0 || p > 65535 || *end) return -2;
  memset(&ss, 0, sizeof ss);
  if (v6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)p);
    if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) return -2;
    len = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)p);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return -2;
    len = sizeof *a;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

/* Takes the secret out of the environment: the agent keeps a copy, the command gets none of
 * EXECBOX_AGENT_*, and the original bytes are wiped so that /proc/1/environ no longer shows
 * them. */
static char **take_secret(void) {
  size_t n = 0, k = 0;
  for (char **e = environ; *e; e++) n++;
  char **env = calloc(n + 1, sizeof *env);
  if (!env) {
    say("out of memory", NULL);
    exit(125);
  }
  char *value = NULL;
  for (char **e = environ; *e; e++) {
    if (strncmp(*e, SECRET_VAR "=", sizeof SECRET_VAR) == 0) value = *e + sizeof SECRET_VAR;
    if (strncmp(*e, AGENT_VARS, sizeof AGENT_VARS - 1) != 0) env[k++] = *e;
  }
  if (!value) usage(SECRET_VAR " is not set", NULL);
  secret_len = strlen(value);
  if (secret_len < MIN_SECRET || secret_len > MAX_SECRET)
    usage(SECRET_VAR " must have 16 to 1024 bytes", NULL);
  memcpy(secret, value, secret_len);
  memset(value, 0, secret_len);
  return env;
}

/* Ends the agent: what the connections still hold goes out, then every process left over dies. */
static void finish(int code) {
  conns_finish();
  /* as PID 1 the kernel does this when the agent exits; elsewhere its process group is ours to
   * end */
  if (P.pid > 0) kill(-P.pid, SIGKILL);
  exit(code);
}

int main(int argc, char **argv) {
  /* 0, 1 and 2 exist, so that no pipe or socket of the agent's is taken for one */
  for (int fd = open("/dev/null", O_RDWR | O_CLOEXEC); fd >= 0 && fd <= 2; fd = dup(fd)) {
  }
  const char *listen_spec = "127.0.0.1:7070";
  uint64_t retain = 8u << 20, linger = 600;
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (strncmp(a, "--", 2) != 0) break;
    if (i + 1 >= argc) usage("missing value for", a);
    if (strcmp(a, "--listen") == 0)
      listen_spec = argv[++i];
    else if (strcmp(a, "--retain") == 0)
      retain = number(a, argv[++i], 1, MAX_RETAIN);
    else if (strcmp(a, "--linger") == 0)
      linger = number(a, argv[++i], 0, 1u << 30);
    else
      usage("unknown option", a);
  }
  if (i >= argc) usage("no command", NULL);
  char **command = argv + i;
  char **env = take_secret();

  /* the command may not read the secret from the agent's memory or /proc/1/environ */
  prctl(PR_SET_DUMPABLE, 0);
  /* outside a PID namespace, orphans come to the agent rather than to the host's init */
  if (getpid() != 1) prctl(PR_SET_CHILD_SUBREAPER, 1);

  sigset_t mask;
  sigemptyset(&mask);
  int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  for (size_t k = 0; k < sizeof forwarded / sizeof *forwarded; k++) sigaddset(&mask, forwarded[k]);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  signal(SIGPIPE, SIG_IGN);
  int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sfd < 0) {
    say("signalfd", strerror(errno));
    exit(125);
  }

  int listener = listen_on(listen_spec);
  if (listener == -2) usage("bad address for --listen", listen_spec);
  if (listener < 0) {
    int e = errno;
    char what[320];
    join(what, sizeof what, "cannot listen on ", listen_spec, (char *)NULL);
    say(what, strerror(e));
    exit(125);
  }

  O.retain = retain;
  char *at;
  if (output_room(&O, &at) == 0) {
    say("cannot allocate the output buffer", NULL);
    exit(125);
  }
  process_start(command, env);

  struct pollfd pfd[5 + MAX_CONNS];
  int busy = 0;
  char *unused;
  for (;;) {
    int readable = O.cap && output_room(&O, &unused) > 0 && P.running;
    int n = 0;
    pfd[n++] = (struct pollfd){.fd = listener, .events = POLLIN};
    pfd[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
    pfd[n++] = (struct pollfd){.fd = readable ? P.fd[1] : -1, .events = POLLIN};
    pfd[n++] = (struct pollfd){.fd = readable ? P.fd[2] : -1, .events = POLLIN};
    pfd[n++] = (struct pollfd){.fd = P.inlen > P.inoff ? P.fd[0] : -1, .events = POLLOUT};
    n += conns_pollfds(pfd, n);

    int64_t now = now_ms(), wake = conns_deadline();
    if (!P.running) {
      int64_t end = P.exited_at + (int64_t)linger * 1000;
      if (wake < 0 || end < wake) wake = end;
    }
    /* at most an hour at a time: a far wake (a linger near 2^30 s) must not overflow poll's int */
    int64_t wait = wake < 0 ? -1 : wake <= now ? 0 : wake - now > HOUR_MS ? HOUR_MS : wake - now;
    int timeout = busy ? 0 : (int)wait;
    if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR) {
      say("poll", strerror(errno));
      finish(P.running ? 125 : P.code);
    }
    now = now_ms();

    if (pfd[1].revents) {
      struct signalfd_siginfo si;
      int reap = 0;
      while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGCHLD)
          reap = 1;
        else if (P.running && P.pid > 0)
          kill(P.pid, (int)si.ssi_signo);
        else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
          finish(P.code); /* the machine is being stopped after the command ended */
      }
      if (reap) process_reap(now);
    }
    for (int k = 1; k <= 2; k++)
      if (pfd[1 + k].revents || (!P.running && P.drain[k])) process_read(k);
    process_settle();
    if (pfd[4].revents) stdin_flush();

    conns_io(pfd, now);
    if (pfd[0].revents) conns_accept(listener, now);
    busy = conns_flush();
    /* the command is gone and its pipes still hold output that fits: no waiting for that */
    if (!P.running && (P.drain[1] || P.drain[2]) && output_room(&O, &unused) > 0) busy = 1;
    conns_expire(now);

    if (exit_requested) finish(P.code);
    if (!P.running && now >= P.exited_at + (int64_t)linger * 1000) finish(P.code);
  }
}
