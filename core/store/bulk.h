/*
 * bulk -- the database operations of a cycle, each a fixed number of
 * statements whatever the number of rows (CONTRACT section 6).
 *
 * Every function takes a connection the caller owns (from core/pool), is
 * always parameterised or COPY, carries money as decimal text, and returns
 * 0 or a negative code with a message in err.  The connection should not be
 * inside a transaction: the write functions commit per batch (or, asked
 * with IH_BULK_ONE_TX, once per call).  Any thread,
 * one connection per thread.  Every call waits at most
 * database.statement_timeout_ms (core/pgexec.h); after a timeout the
 * connection is unusable (ih_pg_conn_lost) and the pool drops it on return.
 */
#ifndef IH_BULK_H
#define IH_BULK_H

#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>

/* One price snapshot.  Strings are borrowed; price_low/mid/high and
 * source may be NULL; num_listings < 0 means NULL. */
typedef struct ih_snap_row {
	int32_t card_id;
	int16_t marketplace_id;
	const char *condition; /* NM LP MP HP DMG */
	const char *finish;    /* nonfoil foil etched */
	const char *language;  /* Scryfall's codes */
	const char *currency;  /* three letters */
	const char *price;     /* decimal text, e.g. "18.13" */
	const char *price_low, *price_mid, *price_high;
	int32_t num_listings;
	const char *source;
} ih_snap_row;

enum {
	IH_BULK_ERR_INPUT = -1, /* a row is unusable; nothing was written */
	IH_BULK_ERR_DB = -2     /* the server refused or the connection failed */
};

/*
 * Write n snapshots, all stamped time_iso (the cycle's start), upserting on
 * the full key (later values win, also for duplicate keys within the call).
 * Below copy_threshold rows: multi-row INSERT ... ON CONFLICT DO UPDATE
 * statements of batch_size rows, each extended to the end of its last card
 * (rows of one card are consecutive), each committed.  At or above it: COPY
 * into a session temp staging table, then one upsert from staging, one
 * transaction per chunk.  Every row is checked before anything is sent
 * (IH_BULK_ERR_INPUT naming the row and field).  Rows of batches already
 * committed stay when a later batch fails; *written counts the distinct
 * rows committed.
 */
int ih_bulk_write_snapshots(PGconn *c, const char *time_iso, const ih_snap_row *rows, size_t n, int batch_size,
			    long copy_threshold, long *written, char *err, size_t errlen);

/*
 * Write n snapshots whose cards are named by scryfall id, sids[i] for
 * rows[i] (rows[i].card_id is ignored; language "" = the card's own): one
 * statement resolves them through cards and upserts them, autocommitted.
 * card_ids[i] receives the card's id, 0 when it is not in cards (not
 * written); *written counts rows written.
 */
int ih_bulk_write_snapshots_by_scryfall(PGconn *c, const char *time_iso, const ih_snap_row *rows,
					const char *const *sids, size_t n, int32_t *card_ids, long *written, char *err,
					size_t errlen);

/* ih_bulk_write_snapshots_ex flags */
#define IH_BULK_ONE_TX 1u /* the whole call in one transaction: all of it commits, or nothing */

/*
 * Both of the above in one call: rows[i] is named by sids[i] when sids is
 * not NULL and sids[i] is not NULL, else by rows[i].card_id.  Rows by card
 * id are written first, then rows by scryfall id, each kind as
 * ih_bulk_write_snapshots describes (the kind's row count against
 * copy_threshold; rows by scryfall id are resolved in their statement or
 * their upsert from staging).  With IH_BULK_ONE_TX: BEGIN, the statements
 * or one COPY and upsert per kind (no chunking), COMMIT; on failure
 * everything is rolled back and *written is 0.  Without it, as the two
 * functions above (each statement or chunk commits).  card_ids (may be
 * NULL) receives each row's card id, 0 when not in cards or not written.
 */
int ih_bulk_write_snapshots_ex(PGconn *c, const char *time_iso, const ih_snap_row *rows, const char *const *sids,
			       size_t n, int batch_size, long copy_threshold, unsigned flags, int32_t *card_ids,
			       long *written, char *err, size_t errlen);

/* Internal knobs, for the benchmark and tests. */
typedef enum ih_bulk_shape {
	IH_SHAPE_UNNEST = 0, /* INSERT ... SELECT FROM unnest($n::type[]...): one text per statement */
	IH_SHAPE_VALUES = 1  /* INSERT ... VALUES ($1..$13), (...)...: 13 parameters per row */
} ih_bulk_shape;
void ih_bulk_set_shape(ih_bulk_shape s);
void ih_bulk_set_copy_binary(int binary); /* default: the faster one, measured */
void ih_bulk_set_copy_chunk(long rows);   /* rows per COPY transaction */

/* The default copy_threshold measured by bench/writes. */
#define IH_BULK_COPY_THRESHOLD_DEFAULT 2000

/*
 * For each card_ids[i], fresh[i] = 1 when marketplace_id has a snapshot of
 * it newer than now_iso (NULL: the server's now()) minus freshness_seconds,
 * else 0.  One statement (a LATERAL index probe per card), whatever n.
 */
/*
 * *fresh = 1 when marketplace_id has any snapshot newer than now_iso (NULL:
 * now()) minus freshness_seconds: a bulk marketplace exported within its
 * freshness window need not be fetched again.  One statement.
 */
int ih_bulk_marketplace_fresh(PGconn *c, int16_t marketplace_id, long freshness_seconds, const char *now_iso,
			      int *fresh, char *err, size_t errlen);

int ih_bulk_fresh_cards(PGconn *c, int16_t marketplace_id, const int32_t *card_ids, size_t n, long freshness_seconds,
			const char *now_iso, uint8_t *fresh, char *err, size_t errlen);

/* A row of cards.  Strings owned by the list (or, as input to
 * ih_bulk_upsert_cards, borrowed); integer ids 0 = NULL. */
typedef struct ih_card_row {
	int32_t id;
	char *scryfall_id, *oracle_id; /* uuid text */
	char *name, *set_code, *collector_number, *lang;
	int32_t tcgplayer_id, tcgplayer_etched_id, cardmarket_id, cardtrader_blueprint_id, mtgo_id;
} ih_card_row;

typedef struct ih_card_list {
	ih_card_row *v;
	size_t n;
} ih_card_list;

void ih_card_list_free(ih_card_list *l);

/*
 * Up to `limit` cards, never-priced first (by id), then those whose newest
 * snapshot on any marketplace is oldest.  One query.  *out is filled (free
 * with ih_card_list_free) on success.
 */
int ih_bulk_priority_cards(PGconn *c, int limit, ih_card_list *out, char *err, size_t errlen);

/*
 * card_ids[i] = cards.id of scryfall id uuids[i], 0 when unknown or not a
 * uuid.  One statement.
 */
int ih_bulk_resolve_scryfall(PGconn *c, const char *const *uuids, size_t n, int32_t *card_ids, char *err,
			     size_t errlen);

/* The id of marketplace `slug`, inserting it (name, currency may be NULL)
 * when missing.  Never burns an identity value for an existing slug. */
int ih_bulk_ensure_marketplace(PGconn *c, const char *slug, const char *name, const char *currency, int16_t *id,
			       char *err, size_t errlen);

/* cards.cardtrader_blueprint_id of card_id. */
int ih_bulk_set_blueprint(PGconn *c, int32_t card_id, int32_t blueprint_id, char *err, size_t errlen);

/*
 * Insert or update cards by scryfall_id (COPY into staging, one upsert per
 * chunk, committed per chunk).  An id column given as 0 keeps the stored
 * value (the importer does not know CardTrader's blueprints); id is ignored.
 * Rows without a valid scryfall_id are an input error; nothing is written
 * then.  Duplicate scryfall ids: the last wins.
 */
int ih_bulk_upsert_cards(PGconn *c, const ih_card_row *cards, size_t n, char *err, size_t errlen);

/* Helpers shared by the bulk modules and tests. */
/* -?digits[.digits], at most 10 integer digits and 20 decimals, that still
 * fits numeric(12,2) once PostgreSQL has rounded it to 2 decimals (half
 * away from zero): 9999999999.995 rounds to 10^10 and is refused. */
int ih_valid_decimal(const char *s);
int ih_valid_uuid(const char *s);

#endif
