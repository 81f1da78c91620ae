/*
 * mockmarket -- the bundled marketplace simulator: Scryfall, CardTrader,
 * TCGplayer and Mana Pool under path prefixes on one loopback port, in the
 * APIs' real shapes, with fault injection and request counters.
 */
#ifndef MM_MOCKMARKET_H
#define MM_MOCKMARKET_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "expected.h"
#include "universe.h"

enum { MM_SCRYFALL, MM_CARDTRADER, MM_TCGPLAYER, MM_MANAPOOL, MM_NMKT };
#define MM_NEP 4 /* endpoints counted per marketplace */

extern const char *const mm_names[MM_NMKT];
extern const char *const mm_endpoints[MM_NMKT][MM_NEP];

typedef struct mm_fault {
	int first_429;     /* 429 + Retry-After for the first K requests */
	int always_401;
	int first_500;     /* 500 for the first K requests */
	int malformed;     /* "{not json" */
	int truncated;     /* half the body */
	int hang;          /* answer only at shutdown */
	int latency_ms;
	double rate;       /* requests per second enforced; 0 none */
	int gate_on;       /* gate:K: after K requests pass, hold the rest until release */
	int gate_k;
} mm_fault;

/* Chaos: each request, with probability percent/100, gets one random fault. */
typedef struct mm_chaos {
	uint64_t seed;
	double percent;    /* 0: off */
	int hang_ms;       /* a chaos hang lasts this long, then the connection closes */
} mm_chaos;

typedef struct mm_state {
	uint64_t seed;
	int ncards;
	const char *ct_token, *ct_currency, *tp_public, *tp_private;
	long tp_expires_in;
	int latency_ms;
	char tp_token[64];
	pthread_mutex_t mu;
	mm_fault fault[MM_NMKT];
	long total[MM_NMKT], served[MM_NMKT][MM_NEP];
	long inflight[MM_NMKT], max_inflight[MM_NMKT];
	long rows_served[MM_NMKT], rows_unknown[MM_NMKT]; /* see README: price rows in complete 200 answers */
	long gate_passed[MM_NMKT], gated[MM_NMKT];
	long chaos_hits[MM_NMKT];
	mm_chaos chaos;
	pthread_cond_t gate_cv;   /* with mu: the gates changed */
	double bucket[MM_NMKT], bucket_at[MM_NMKT];
	volatile int stopping;
	const char *bulk_file; /* served at /scryfall/files/default-cards.jsonl.gz */
} mm_state;

/* A reply: body is malloc'd (or NULL), owned by the caller afterwards. */
typedef struct mm_reply {
	unsigned status;
	char *body;
	size_t len;
	const char *content_type;
	int retry_after;   /* < 0: no header */
	int endpoint;      /* index into mm_endpoints, -1 none */
	long rows;         /* price rows the host stores from this answer (expected.h) */
	long rows_unknown; /* rows for printings outside the universe (Mana Pool) */
} mm_reply;

/* A growable string. */
typedef struct mm_sb {
	char *p;
	size_t len, cap;
} mm_sb;
void mm_sb_printf(mm_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mm_sb_money_or_null(mm_sb *b, int64_t cents, int quoted);

/* Look a request up; fills r.  args(name) returns a query argument or NULL,
 * header(name) a request header or NULL. */
typedef const char *(*mm_lookup)(void *ud, const char *name);
void mm_handle(mm_state *s, int mkt, const char *method, const char *path, const char *body, size_t body_len,
	       mm_lookup arg, mm_lookup header, void *ud, mm_reply *r);

/* Parse "mkt:kind[:n]" into the state (call with s->mu held, or before serving); 0 or -1. */
int mm_fault_parse(mm_state *s, const char *spec);

/* Parse "SEED:PERCENT" into s->chaos (PERCENT 0 turns it off); 0 or -1. */
int mm_chaos_parse(mm_state *s, const char *spec);

/* Index of card by scryfall id (linear in a small table built at start), -1 if none. */
int mm_find_card(const mm_state *s, const char *scryfall_id);
void mm_index_build(mm_state *s);

#endif
