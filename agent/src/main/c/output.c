/*
 * The output ring: a channel's output kept until the control plane acknowledged it (and then while
 * its room is not needed), with the stream of every byte.
 *
 * Nothing unacknowledged is ever forgotten: when the unacknowledged bytes fill half of --retain,
 * output_room() has no room and the caller stops reading the command's pipes, so the command blocks
 * on its next write instead of losing output.
 */
#include <stdlib.h>
#include <string.h>

#include "agent.h"

/* Segments (runs of one stream) the ring tracks at most; a command that alternates streams faster
 * waits for ACKs like one that fills the ring. */
#define SEG_MAX 65536

static uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }

static uint64_t seg_offset(const struct output *o, size_t i) {
  return o->segs[(o->seg0 + i) % o->segcap] >> 1;
}

static int seg_stream(const struct output *o, size_t i) {
  return (int)(o->segs[(o->seg0 + i) % o->segcap] & 1) + 1;
}

/* Forgets the bytes below to, never one that is not acknowledged, and the runs that end there. */
static void forget(struct output *o, uint64_t to) {
  to = min64(to, o->acked);
  if (to <= o->start) return;
  o->start = to;
  /* the run that holds start stays first; the last run always stays (new bytes may extend it) */
  while (o->nsegs > 1 && seg_offset(o, 1) <= o->start) {
    o->seg0 = (o->seg0 + 1) % o->segcap;
    o->nsegs--;
  }
}

static int grow_segs(struct output *o) {
  size_t cap = o->segcap ? o->segcap * 2 : 64;
  if (cap > SEG_MAX) cap = SEG_MAX;
  if (cap <= o->segcap) return 0;
  uint64_t *s = malloc(cap * sizeof *s);
  if (!s) return 0;
  for (size_t i = 0; i < o->nsegs; i++) s[i] = o->segs[(o->seg0 + i) % o->segcap];
  free(o->segs);
  o->segs = s;
  o->segcap = cap;
  o->seg0 = 0;
  return 1;
}

/* Grows the ring towards need bytes (at least doubling, at most retain), keeping its bytes. */
static void grow_ring(struct output *o, uint64_t need) {
  uint64_t cap = o->cap ? o->cap * 2 : 2 * CHUNK;
  if (cap < need) cap = need;
  cap = min64(cap, o->retain);
  if (cap <= o->cap) return;
  char *b = malloc(cap);
  if (!b) {
    /* what we have is what we keep: the command waits for ACKs sooner */
    if (o->cap) o->retain = o->cap;
    return;
  }
  for (uint64_t off = o->start; off < o->head;) {
    uint64_t from = off % o->cap, to = off % cap;
    uint64_t n = min64(min64(o->head - off, o->cap - from), cap - to);
    memcpy(b + to, o->buf + from, n);
    off += n;
  }
  free(o->buf);
  o->buf = b;
  o->cap = cap;
}

size_t output_room(struct output *o, char **at) {
  /* at most half of --retain unacknowledged: the other half always holds acknowledged output, for a
   * control plane that restarted and must resume a client a little behind what the old one had */
  uint64_t limit = (o->retain + 1) / 2, unacked = o->head - o->acked;
  if (unacked >= limit) return 0;
  uint64_t allow = limit - unacked;
  uint64_t kept = o->head - o->start;
  if (kept + CHUNK > o->cap && o->cap < o->retain) grow_ring(o, kept + CHUNK);
  if (kept + CHUNK > o->cap) forget(o, o->head + CHUNK - o->cap);
  if (o->nsegs == o->segcap && !grow_segs(o)) {
    if (o->nsegs > 1) forget(o, seg_offset(o, 1));
    if (o->nsegs == o->segcap) return 0;
  }
  kept = o->head - o->start;
  if (kept >= o->cap) return 0;
  uint64_t pos = o->head % o->cap;
  *at = o->buf + pos;
  return (size_t)min64(min64(min64(o->cap - kept, o->cap - pos), CHUNK), allow);
}

void output_add(struct output *o, int stream, size_t n) {
  if (n == 0) return;
  if (o->nsegs == 0 || seg_stream(o, o->nsegs - 1) != stream) {
    /* output_room made sure there is a free entry */
    o->segs[(o->seg0 + o->nsegs) % o->segcap] = (o->head << 1) | (uint64_t)(stream - 1);
    o->nsegs++;
  }
  o->head += n;
}

size_t output_copy(const struct output *o, uint64_t offset, char *dst, size_t max, int *stream) {
  /* the last run that begins at or before offset */
  size_t lo = 0, hi = o->nsegs;
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (seg_offset(o, mid) <= offset)
      lo = mid;
    else
      hi = mid;
  }
  uint64_t end = lo + 1 < o->nsegs ? seg_offset(o, lo + 1) : o->head;
  size_t n = (size_t)min64(end - offset, max);
  *stream = seg_stream(o, lo);
  uint64_t pos = offset % o->cap;
  size_t first = (size_t)min64(n, o->cap - pos);
  memcpy(dst, o->buf + pos, first);
  memcpy(dst + first, o->buf, n - first);
  return n;
}
