/*
 * import_scryfall -- `ingesthost import scryfall FILE|-|--download`.
 *
 * Streams Scryfall bulk data (gzip JSONL, plain JSONL, or the legacy JSON
 * array, gzipped or not; told apart by content) into `cards` and Scryfall's
 * price snapshots.  A reader thread decompresses and parses into chunks of
 * cards, a bounded queue of two chunks hands them to the calling thread,
 * which writes each chunk (cards through COPY and one upsert that answers
 * their ids, the snapshots through a binary COPY) and commits it.
 * An interrupted import keeps the chunks it committed; a rerun with the
 * same snapshot time converges to the same rows.  Memory stays flat: a
 * fixed number of recycled chunks and fixed-size stream buffers.
 */
#ifndef IH_IMPORT_SCRYFALL_H
#define IH_IMPORT_SCRYFALL_H

#include <stdio.h>
#include <libpq-fe.h>

enum {
	IH_IMPORT_ERR_OPEN = -1,  /* the file cannot be opened, or a usage error */
	IH_IMPORT_ERR_DB = -2,    /* a database statement failed */
	IH_IMPORT_ERR_INPUT = -3, /* truncated or corrupt input, or the download failed */
	IH_IMPORT_ERR_NOMEM = -4
};

typedef struct ih_import_opts {
	const char *path;         /* a file, or "-" for stdin; ignored with url */
	const char *url;          /* stream this URL instead (see import_download) */
	const char *time_iso;     /* snapshot time; NULL: the import's start */
	long long size_hint;      /* total input bytes for the ETA; 0: unknown (a file's own size is used) */
	size_t chunk_cards;       /* cards per chunk and commit; 0: IH_IMPORT_CHUNK_DEFAULT */
	int progress;             /* 1: a progress line on stderr (the caller checks isatty) */
	const char *user_agent;   /* for url; NULL: "ingesthost/VERSION" */
	int write_mode;           /* IH_IMPORT_WRITE_*: for the benchmark */
	long long max_decompressed_bytes; /* import.max_decompressed_bytes: the import stops
					   * with an error past it; <= 0: 64 GiB */
} ih_import_opts;

/*
 * How chunks are written.  COPY (the default): the cards upsert answers
 * their ids and the snapshots are COPYed straight into price_snapshots;
 * the first chunk that meets rows already at the import's time switches
 * the import to ONE.  ONE: one statement per chunk upserts cards and
 * snapshots.  BULK: the three bulk calls (upsert cards, resolve ids,
 * write snapshots); for comparison.
 */
enum { IH_IMPORT_WRITE_COPY = 0, IH_IMPORT_WRITE_ONE = 1, IH_IMPORT_WRITE_BULK = 2 };

#define IH_IMPORT_CHUNK_DEFAULT 5000
#define IH_IMPORT_MAX_REASONS 5

typedef struct ih_import_stats {
	long cards_read;          /* usable card records parsed */
	long cards_written;       /* cards committed */
	long snapshots_written;   /* snapshot rows committed */
	long rejected;            /* unusable records, skipped */
	long records;             /* lines (JSONL) or elements (array) seen */
	long long bytes_in, bytes_out;
	double seconds;
	int reached_end;          /* the input was read to its end */
	int upserting;            /* COPY met rows at this time: the rest was upserted */
	const char *format;       /* "gzip JSONL", ... (static) */
	int nreasons;
	char reasons[IH_IMPORT_MAX_REASONS][200]; /* "line 5: 'id' is not a uuid (...)" */
	/* prices left out of cards that were kept (not a decimal, a NUL inside,
	 * out of numeric(12,2) once rounded): the card is written without them */
	long prices_rejected;
	int nprice_reasons;
	char price_reasons[IH_IMPORT_MAX_REASONS][240]; /* "line 9: 'prices.usd' = '...' does not fit ..." */
} ih_import_stats;

/*
 * Import one stream.  c: an open connection the caller owns, used from this
 * thread only, not inside a transaction; NULL parses only (for the
 * benchmark: decompress, parse and check, no database).  marketplace_id:
 * the `scryfall` row (ih_bulk_ensure_marketplace).  Fills *st (always) and
 * returns 0 when the input was read to its end, rejected records included,
 * or a negative IH_IMPORT_ERR_* with the message in err; chunks committed
 * before the error stay.  Runs a reader thread for its duration.
 */
int ih_import_scryfall(PGconn *c, int marketplace_id, const ih_import_opts *o, ih_import_stats *st, char *err,
		       size_t errlen);

/* One line: cards, snapshots, rejected records and prices (with the first
 * reasons of each), seconds, rows/s. */
void ih_import_print_summary(FILE *f, const ih_import_stats *st, int rc, const char *errtext);

#endif
