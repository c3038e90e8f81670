/*
 * execbox-agent: what its parts share. The protocol and its rules are in docs/AGENT.md; this file
 * only names them.
 */
#ifndef EXECBOX_AGENT_H
#define EXECBOX_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Frame types, control plane to agent and agent to control plane. */
enum {
  T_HELLO = 0x01,
  T_RESUME = 0x02,
  T_ACK = 0x03,
  T_STDIN = 0x04,
  T_STDIN_CLOSE = 0x05,
  T_SIGNAL = 0x06,
  T_WELCOME = 0x81,
  T_OUTPUT = 0x82,
  T_EXIT = 0x83,
  T_STDIN_TAKEN = 0x84,
  T_ERROR = 0x85,
};

#define VERSION 1
#define HEADER 9                /* type u8, channel u32, length u32 */
#define MAX_PAYLOAD (1u << 20)  /* of any frame */
#define CHUNK 65536             /* the most bytes in one OUTPUT or one STDIN */
#define STDIN_WINDOW (1u << 20) /* stdin sent and not yet reported taken */
#define MAX_CONNS 8
#define MIN_SECRET 16
#define MAX_SECRET 1024
#define EXIT_OOM_KILLED 1 /* EXIT flags: the OOM killer ended a process of the command's */
#define HELLO_MS 10000 /* a connection has this long to authenticate */
#define HOUR_MS 3600000 /* the longest single wait in poll() */

/* What went wrong with a request; the text of each is in conn.c. */
enum err {
  E_NONE,
  E_CHANNEL,
  E_STDIN_CLOSED,
  E_STDIN_LOST,
  E_WINDOW,
  E_EXITED,
  E_SIGNAL,
  E_RESUME,
  E_ACK,
  E_TYPE,
  E_LENGTH,
  E_VERSION,
  E_HELLO,
  E_STDIN_OWNER,
};

/*
 * One channel's output, stdout and stderr in the order they were read, addressed by offset from 0.
 * The bytes [start, head) are kept in a ring of cap bytes (grown on demand up to retain); acked is
 * what the control plane holds. Bytes below acked are forgotten only when the ring needs their
 * room.
 * Which stream each byte came from is kept as a list of segments: each entry is the offset where a
 * run of one stream begins (shifted left by one) with the stream (0 stdout, 1 stderr) in bit 0.
 */
struct output {
  char *buf;
  uint64_t cap, retain;
  uint64_t start, acked, head;
  uint64_t *segs;
  size_t segcap, seg0, nsegs;
};

/* Room for up to CHUNK new bytes at head; returns its size (0: full until an ACK) and sets *at. */
size_t output_room(struct output *o, char **at);
/* Appends n bytes just written at output_room's *at, from stream 1 (stdout) or 2 (stderr). */
void output_add(struct output *o, int stream, size_t n);
/* Copies up to max bytes of one stream from offset (start <= offset < head); sets *stream. */
size_t output_copy(const struct output *o, uint64_t offset, char *dst, size_t max, int *stream);

/* The session's command (channel 0). */
enum stdin_state { IN_OPEN, IN_CLOSING, IN_CLOSED };
struct proc {
  pid_t pid;       /* 0 if it could not be started */
  int fd[3];       /* our ends of its stdin (write), stdout and stderr (read); -1 once closed */
  int running;     /* not yet reaped */
  int ended;       /* reaped and its pipes read: EXIT may go out, the end offset is the head */
  int code;        /* exit code, or 128 + signal */
  long oom_base;   /* the cgroup's OOM kill count at the start, -1 if unknown */
  int oom_killed;  /* the count rose while the command ran */
  uint64_t drain[3]; /* bytes its pipes held when it was reaped, still to be read */
  int64_t exited_at;
  enum stdin_state in_state;
  char *in; /* stdin received and not yet written: [inoff, inlen) */
  size_t inoff, inlen, incap;
  uint64_t taken; /* stdin bytes written to the pipe */
};

extern struct output O;
extern struct proc P;
extern unsigned char secret[MAX_SECRET];
extern size_t secret_len;
extern int exit_requested; /* an ACK of the end came after EXIT */

int64_t now_ms(void);
/* Joins the strings up to a NULL into dst (cut to fit, always terminated); returns the length. */
size_t join(char *dst, size_t cap, ...);

/* process.c */
void process_start(char **argv, char **env);
void process_reap(int64_t now);
int process_read(int i);      /* reads pipe i (1, 2) into the ring; returns 1 if it read bytes */
void process_settle(void);    /* once reaped and drained: the process has ended */
enum err process_signal(int sig);
enum err stdin_take(const unsigned char *p, size_t n);
void stdin_close(void);
void stdin_flush(void);

/* conn.c */
struct pollfd;
void conns_accept(int listener, int64_t now);
/* Adds each connection's pollfd; returns the count. */
int conns_pollfds(struct pollfd *pfd, int at);
void conns_io(struct pollfd *pfd, int64_t now);
int conns_flush(void);          /* sends what can be sent; returns 1 if some connection has more */
int64_t conns_deadline(void);   /* the earliest connection timeout, or -1 */
void conns_expire(int64_t now);
void conns_taken(void);         /* STDIN_TAKEN changed */
void conns_error_all(enum err e);
void conns_finish(void);        /* before the agent exits */

#endif
