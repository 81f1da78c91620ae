/*
 * import_int -- pieces shared by the Scryfall importer's modules, its
 * tests and its benchmark.  Not a public interface.
 */
#ifndef IH_IMPORT_INT_H
#define IH_IMPORT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "store/bulk.h"
#include "store/bulk_int.h"

/* A price of one card: which key, and its decimal text. */
typedef struct imp_price {
	uint32_t card;   /* index in the chunk */
	uint8_t key;     /* index in imp_price_keys */
	char value[32];
} imp_price;

/* A price key of a Scryfall card and the row it becomes. */
typedef struct imp_price_key {
	const char *key, *finish, *currency;
} imp_price_key;
extern const imp_price_key imp_price_keys[];
extern const size_t imp_nprice_keys;

/* String fields of a card, as offsets into the chunk's arena. */
enum { IMP_SID, IMP_OID, IMP_NAME, IMP_SET, IMP_CN, IMP_LANG, IMP_NSTR };
#define IMP_NULL ((size_t)-1)

/*
 * A chunk of parsed cards.  Chunks are recycled: reset keeps the memory,
 * so a chunk grows to the largest chunk seen and no further.
 */
typedef struct imp_chunk {
	size_t n, cap;              /* cards */
	size_t (*off)[IMP_NSTR];    /* per card, offsets into arena */
	ih_card_row *rows;          /* filled by imp_chunk_seal */
	int32_t *ids;               /* resolved card ids */
	imp_price *prices;
	size_t np, pcap;
	const char **uuids;         /* scryfall ids, for the id lookup */
	ih_buf arena;
	struct imp_chunk *next;     /* queue link */
} imp_chunk;

void imp_chunk_reset(imp_chunk *k);
void imp_chunk_free(imp_chunk *k);

/*
 * Check one parsed record and append it to k.  Returns 0, 1 when the record
 * is not a usable card (why filled: what is wrong, naming the field), or -1
 * when out of memory.  A price that cannot be stored (not a string, a NUL
 * inside, not a non-negative decimal, or out of numeric(12,2) once rounded
 * to cents) is left out; the card and its other prices are kept.  Any
 * thread (the chunk is the caller's).
 */
int imp_card_add(imp_chunk *k, json_object *obj, char *why, size_t whylen);

/* The prices imp_card_add_ex left out of a card it kept. */
typedef struct imp_dropped {
	int n;          /* how many */
	char why[200];  /* the first: "'prices.usd' = '9999999999.995' does not fit ..." */
} imp_dropped;

/* imp_card_add, telling which prices were left out (dropped may be NULL). */
int imp_card_add_ex(imp_chunk *k, json_object *obj, char *why, size_t whylen, imp_dropped *dropped);

/* Point rows[] at the arena (after the last add).  0 or -1 (memory). */
int imp_chunk_seal(imp_chunk *k);

/* Row i's string field f, or NULL. */
const char *imp_str(const imp_chunk *k, size_t i, int f);

/*
 * Write a sealed chunk in one transaction: COPY cards with their prices
 * into staging, then one statement upserting the cards and their
 * snapshots at time_iso.  b: a scratch buffer the caller keeps.  *cards,
 * *snaps: rows affected.  0 or IH_BULK_ERR_DB with err (rolled back).
 */
int imp_write_chunk_one(PGconn *c, int marketplace_id, const char *time_iso, const imp_chunk *k, ih_buf *b,
			long *cards, long *snaps, char *err, size_t errlen);

/* The writer's snapshot rows, one array reused chunk after chunk. */
typedef struct imp_snaps {
	ih_snap_row *rows;
	size_t n, cap;
} imp_snaps;

/*
 * COPY mode: write a sealed chunk in one transaction: cards through
 * staging and one upsert that answers their ids, then the snapshots
 * through a binary COPY straight into price_snapshots at time_us
 * (ih_pg_time_us).  When that COPY meets a key already present,
 * *conflict is set and the chunk is rolled back (IH_BULK_ERR_DB): write
 * it, and the rest, with imp_write_chunk_one.
 */
int imp_write_chunk_copy(PGconn *c, int marketplace_id, int64_t time_us, imp_chunk *k, ih_buf *b, imp_snaps *sn,
			 long *cards, long *snaps, int *conflict, char *err, size_t errlen);

/*
 * Fill sn with the snapshot rows of k's cards whose k->ids are set (a card
 * without an id is skipped).  0, or -1 when out of memory.
 */
int imp_chunk_snaps(const imp_chunk *k, int marketplace_id, imp_snaps *sn);

#endif
