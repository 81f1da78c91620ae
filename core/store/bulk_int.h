/*
 * bulk_int -- pieces shared by the bulk modules, the tests and the
 * benchmark.  Not a public interface.
 */
#ifndef IH_BULK_INT_H
#define IH_BULK_INT_H

#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "store/bulk.h"

/* A growable byte buffer; oom is set (and further writes dropped) when
 * memory runs out. */
typedef struct ih_buf {
	char *p;
	size_t len, cap;
	int oom;
} ih_buf;

void ih_buf_put(ih_buf *b, const void *data, size_t n);
void ih_buf_puts(ih_buf *b, const char *s);
void ih_buf_putc(ih_buf *b, char ch);
void ih_buf_free(ih_buf *b);

/* r's error (else c's) into err as one line, prefixed "what: " (folded by
 * ih_pg_oneline, core/pgexec.h). */
void ih_pg_error(char *err, size_t errlen, const char *what, PGconn *c, const PGresult *r);

/*
 * Run a command without parameters or rows (several statements allowed)
 * through ih_pg_exec, bounded by the statement timeout.  0, or
 * IH_BULK_ERR_DB with "what: reason" in err.  Thread: the connection's.
 */
int ih_bulk_cmd(PGconn *c, const char *sql, const char *what, char *err, size_t errlen);

/* time_iso as PostgreSQL reads it, in microseconds since 2000-01-01 UTC
 * (a binary COPY's timestamptz).  0 or IH_BULK_ERR_DB with err. */
int ih_pg_time_us(PGconn *c, const char *time_iso, int64_t *us, char *err, size_t errlen);

/*
 * Send rows[idx[0..m)] through a COPY ... FROM STDIN already started with
 * `copy_sql` (which must name the columns in ih_snap_row order, preceded by
 * time when time_text / time_us is given).  binary: FORMAT binary, the
 * time as microseconds since 2000-01-01 (time_us); text: time_text.
 * idx NULL: rows[0..m).  Returns 0 or IH_BULK_ERR_DB with err, and, when
 * sqlstate is not NULL and the server refused the rows, its SQLSTATE (6
 * bytes, e.g. "23505" for a key already present).  Rows must have been
 * validated.
 */
int ih_copy_snapshots(PGconn *c, const char *copy_sql, int binary, const char *time_text, const int64_t *time_us,
		      const ih_snap_row *rows, const size_t *idx, size_t m, char *sqlstate, char *err,
		      size_t errlen);

/*
 * The snapshot columns, in ih_snap_row order: the one list every encoder
 * reads (the unnest arrays and their casts, the VALUES rows, the staging
 * tables, text and binary COPY, the ON CONFLICT clause).  A column is added
 * here and in ih_snap_row, nowhere else.
 */
typedef enum ih_snap_kind {
	IH_SNAP_INT4,   /* int32_t; NULL when negative if neg_null */
	IH_SNAP_INT2,   /* int16_t, never NULL */
	IH_SNAP_TEXT,   /* const char *, NULL is NULL */
	IH_SNAP_NUMERIC /* const char * holding validated decimal text, NULL is NULL */
} ih_snap_kind;

typedef struct ih_snap_col {
	const char *name; /* column of price_snapshots and of the staging tables */
	const char *type; /* SQL type of the staging column and of the unnest array's elements */
	ih_snap_kind kind;
	size_t off;       /* offsetof(ih_snap_row, field) */
	int key;          /* part of the primary key (after time): never updated on conflict */
	int neg_null;     /* IH_SNAP_INT4: a negative value stands for NULL */
} ih_snap_col;

#define IH_SNAP_NCOLS 12
extern const ih_snap_col ih_snap_cols[IH_SNAP_NCOLS];

/* "card_id, marketplace_id, ..., source": the columns' names in order. */
const char *ih_snap_sql_columns(void);
/* " ON CONFLICT (time, the key columns) DO UPDATE SET" the others. */
const char *ih_snap_sql_on_conflict(void);

/* Column col of r as text (integers printed into tmp), NULL for SQL NULL. */
const char *ih_snap_text(const ih_snap_row *r, int col, char tmp[24]);

/*
 * As ih_copy_snapshots for rows named by scryfall id, into a staging table
 * whose columns are (sid text, the snapshot columns after card_id, ord
 * int): rows[k] goes with sids[k] and ord k + 1, k < m.
 */
int ih_copy_snapshots_by_sid(PGconn *c, const char *copy_sql, int binary, const ih_snap_row *rows,
			     const char *const *sids, size_t m, char *err, size_t errlen);

/* Check every row; IH_BULK_ERR_INPUT naming the first bad row and field. */
int ih_snap_validate(const ih_snap_row *rows, size_t n, char *err, size_t errlen);
/* The same for rows named by scryfall id: card_id is not checked and
 * language may be "" (the card's own). */
int ih_snap_validate_by_sid(const ih_snap_row *rows, size_t n, char *err, size_t errlen);

/*
 * Indices of the rows to write, one per distinct key, the last occurrence
 * winning, in order of first occurrence.  *idx is malloc'd (caller frees).
 * Returns the count, or -1 when out of memory.
 */
long ih_snap_dedupe(const ih_snap_row *rows, size_t n, size_t **idx);

#endif
