/*
 * The session's command: started on three pipes of the agent's, its output read into the ring, its
 * stdin written as it reads, signals passed on, and it and every orphan reaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

extern char **environ;

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static void close_from(int lowest) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, lowest, ~0u, 0) == 0) return;
#endif
  struct rlimit r;
  long top =
      getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur != RLIM_INFINITY ? (long)r.rlim_cur : 65536;
  if (top > 65536) top = 65536;
  for (long fd = lowest; fd < top; fd++) close((int)fd);
}

/* "execbox-agent: cannot run X: reason\n", as a shell would say it */
static size_t cannot_run(char *dst, size_t cap, const char *what, int e) {
  size_t n =
      join(dst, cap - 1, "execbox-agent: cannot run ", what, ": ", strerror(e), (char *)NULL);
  dst[n++] = '\n';
  return n;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void exec_child(char **argv, char **env, int in, int out, int err, pid_t agent) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  setsid();
  /* outside a PID namespace the agent's death would not end the command otherwise */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != agent) _exit(126);
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(126);
  close_from(3);
  environ = env;
  execvp(argv[0], argv);
  int e = errno;
  char msg[512];
  size_t n = cannot_run(msg, sizeof msg, argv[0], e);
  if (write(2, msg, n) < 0) _exit(126);
  _exit(e == ENOENT ? 127 : 126);
}

/* The command could not be started at all: report it as its own stderr and exit, like a shell. */
static void start_failed(const char *what, int e) {
  char line[512], *at;
  size_t n = cannot_run(line, sizeof line, what, e);
  size_t room = output_room(&O, &at);
  if (n > room) n = room;
  memcpy(at, line, n);
  output_add(&O, 2, n);
  P.pid = 0;
  P.running = 0;
  P.code = 126;
  P.exited_at = now_ms();
  for (int i = 0; i < 3; i++) close_fd(&P.fd[i]);
}

/*
 * The kernel's count of OOM kills in the agent's memory cgroup (the container's own, as the runtime
 * mounts it): cgroup v2's memory.events, else v1's memory.oom_control; -1 when neither tells.
 */
static long oom_kills(void) {
  static const char *files[] = {"/sys/fs/cgroup/memory.events",
                                "/sys/fs/cgroup/memory/memory.oom_control"};
  for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
    int fd = open(files[f], O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    char text[1024];
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) continue;
    text[n] = 0;
    for (char *line = text; line; line = strchr(line, '\n')) {
      if (*line == '\n') line++;
      if (strncmp(line, "oom_kill ", 9) == 0) return strtol(line + 9, NULL, 10);
    }
  }
  return -1;
}

void process_start(char **argv, char **env) {
  int fds[6] = {-1, -1, -1, -1, -1, -1}, *in = fds, *out = fds + 2, *err = fds + 4;
  P.fd[0] = P.fd[1] = P.fd[2] = -1;
  P.in_state = IN_OPEN;
  P.running = 1;
  P.oom_base = oom_kills();
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
    int e = errno;
    for (int i = 0; i < 6; i++) close_fd(&fds[i]);
    start_failed(argv[0], e);
    return;
  }
  pid_t agent = getpid();
  pid_t pid = fork();
  if (pid == 0) exec_child(argv, env, in[0], out[1], err[1], agent);
  int e = errno;
  close(in[0]), close(out[1]), close(err[1]);
  P.fd[0] = in[1];
  P.fd[1] = out[0];
  P.fd[2] = err[0];
  if (pid < 0) {
    start_failed(argv[0], e);
    return;
  }
  P.pid = pid;
  for (int i = 0; i < 3; i++) fcntl(P.fd[i], F_SETFL, fcntl(P.fd[i], F_GETFL) | O_NONBLOCK);
}

void process_reap(int64_t now) {
  int status;
  pid_t p;
  while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
    if (p != P.pid || !P.running) continue; /* an orphan: reaped, nothing else */
    P.running = 0;
    P.exited_at = now;
    P.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    /* the OOM killer's SIGKILL, to the command or to one of its processes (a shell then
     * says 137) */
    long kills = P.oom_base >= 0 ? oom_kills() : -1;
    P.oom_killed = kills > P.oom_base;
    /* everything it wrote is in its pipes now; what comes later is a leftover process's */
    for (int i = 1; i <= 2; i++) {
      int n = 0;
      if (P.fd[i] >= 0 && ioctl(P.fd[i], FIONREAD, &n) < 0) n = 0;
      P.drain[i] = n > 0 ? (uint64_t)n : 0;
    }
  }
}

int process_read(int i) {
  int got = 0;
  /* a few reads at most, so that a busy stream cannot starve the connections */
  for (int turn = 0; turn < 4 && P.fd[i] >= 0; turn++) {
    if (!P.running && P.drain[i] == 0) break;
    char *at;
    size_t room = output_room(&O, &at);
    if (room == 0) break;
    if (!P.running && P.drain[i] < room) room = (size_t)P.drain[i];
    ssize_t n = read(P.fd[i], at, room);
    if (n > 0) {
      output_add(&O, i, (size_t)n);
      if (!P.running) P.drain[i] -= (uint64_t)n;
      got = 1;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!P.running) P.drain[i] = 0;
      break;
    }
    /* end of file (every writer closed it) or an error: nothing more will come */
    close_fd(&P.fd[i]);
    P.drain[i] = 0;
  }
  return got;
}

void process_settle(void) {
  if (P.running || P.ended || P.drain[1] || P.drain[2]) return;
  /* the channel's output is final: a leftover process that writes now gets EPIPE */
  close_fd(&P.fd[1]);
  close_fd(&P.fd[2]);
  if (P.inlen > P.inoff) conns_error_all(E_STDIN_LOST);
  close_fd(&P.fd[0]);
  P.in_state = IN_CLOSED;
  P.inoff = P.inlen = 0;
  P.ended = 1;
}

enum err process_signal(int sig) {
  if (sig < 1 || sig >= NSIG) return E_SIGNAL;
  /* once reaped, its pid may belong to someone else */
  if (!P.running || P.pid <= 0) return E_EXITED;
  return kill(P.pid, sig) == 0 ? E_NONE : E_SIGNAL;
}

enum err stdin_take(const unsigned char *p, size_t n) {
  if (P.in_state != IN_OPEN || P.fd[0] < 0) return E_STDIN_CLOSED;
  size_t pending = P.inlen - P.inoff;
  if (pending + n > STDIN_WINDOW) return E_WINDOW;
  if (n == 0) return E_NONE;
  if (P.inlen + n > P.incap && P.inoff > 0) {
    memmove(P.in, P.in + P.inoff, pending);
    P.inoff = 0;
    P.inlen = pending;
  }
  if (P.inlen + n > P.incap) {
    size_t cap = P.incap ? P.incap : CHUNK;
    while (cap < P.inlen + n) cap *= 2;
    char *b = realloc(P.in, cap);
    if (!b) return E_STDIN_LOST;
    P.in = b;
    P.incap = cap;
  }
  memcpy(P.in + P.inlen, p, n);
  P.inlen += n;
  stdin_flush();
  return E_NONE;
}

void stdin_close(void) {
  if (P.in_state == IN_OPEN) P.in_state = IN_CLOSING;
  stdin_flush();
}

void stdin_flush(void) {
  int wrote = 0;
  while (P.fd[0] >= 0 && P.inlen > P.inoff) {
    ssize_t n = write(P.fd[0], P.in + P.inoff, P.inlen - P.inoff);
    if (n > 0) {
      P.inoff += (size_t)n;
      P.taken += (uint64_t)n;
      wrote = 1;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    /* EPIPE: nobody reads its stdin any more; what is buffered is lost, and said so */
    conns_error_all(E_STDIN_LOST);
    close_fd(&P.fd[0]);
    P.in_state = IN_CLOSED;
    P.inoff = P.inlen = 0;
  }
  if (P.inlen == P.inoff) P.inoff = P.inlen = 0;
  if (P.in_state == IN_CLOSING && P.inlen == 0) {
    close_fd(&P.fd[0]);
    P.in_state = IN_CLOSED;
  }
  if (wrote) conns_taken();
}
