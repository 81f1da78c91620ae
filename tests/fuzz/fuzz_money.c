/*
 * money: the money checks and conversions, against a reference written
 * here in exact decimal arithmetic.
 *  - ih_valid_decimal (core/store; every snapshot row and imported price
 *    passes it): what it accepts is decimal text PostgreSQL reads, and fits
 *    the numeric(12,2) column after PostgreSQL's rounding (half away from
 *    zero): "9999999999.995" must not pass (#14 finding 1).
 *  - ihp_money_decimal (plugins/common): accepts exactly plain decimal
 *    text below 10^10 with at most 8 decimals (digits, one optional point
 *    with digits after it), and copies it unchanged.
 *  - ihp_number_to_cents / ihp_money_number: a JSON number's text rounded
 *    half-up to cents equals the reference's exact result, and fails
 *    exactly when the reference says the amount is negative or >= 10^10.
 *  - ihp_money_cents: for the cents of the input (as text, and its first 8
 *    bytes as a number), "D.CC" equal to the reference, and failure
 *    exactly outside 0 .. IHP_MAX_CENTS.
 * Whatever ihp_* writes passes ih_valid_decimal and fits the column.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>

#include "fuzz.h"
#include "ihp.h"
#include "store/bulk.h"

/* The reference: a JSON number's text (JSON grammar, plus leading zeros as
 * ihp accepts them) as digits d[0..nd) * 10^e; 0 when not a number. */
typedef struct refnum {
	int neg;
	char d[4096];
	size_t nd;
	size_t int_digits; /* significant digits before the point */
	long long e;
} refnum;

static int ref_parse(const char *s, refnum *r)
{
	const char *p = s;
	long long x = 0;
	int xneg = 0, big = 0;

	memset(r, 0, sizeof *r);
	if (*p == '-') {
		r->neg = 1;
		p++;
	}
	if (!(*p >= '0' && *p <= '9'))
		return 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (r->nd == 0 && *p == '0')
			continue;
		if (r->nd >= sizeof r->d)
			return 0;
		r->d[r->nd++] = *p;
	}
	r->int_digits = r->nd;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return 0;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (r->nd == 0 && *p == '0') {
				r->e--;
				continue;
			}
			if (r->nd >= sizeof r->d)
				return 0;
			r->d[r->nd++] = *p;
			r->e--;
		}
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			xneg = *p++ == '-';
		if (!(*p >= '0' && *p <= '9'))
			return 0;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (x > 100000000LL)
				big = 1;
			else
				x = x * 10 + (*p - '0');
		}
		if (big)
			x = 1000000000LL; /* beyond any amount: 0 or far too big */
		r->e += xneg ? -x : x;
	}
	while (r->nd > 0 && r->d[r->nd - 1] == '0') {
		r->nd--;
		r->e++;
	}
	return *p == '\0';
}

/* Cents rounded half-up: 0 and *cents, or -1 when negative or >= 10^10. */
static int ref_cents(const refnum *r, long long *cents)
{
	long long s, v = 0;

	if (r->nd == 0) {
		*cents = 0;
		return 0;
	}
	if (r->neg)
		return -1;
	if (r->int_digits >= 48)
		return -1; /* ihp's documented bound: >= 10^48 is refused before any exponent */
	s = r->e + 2; /* cents = d * 10^s */
	if (s >= 0) {
		if ((long long)r->nd + s > 12)
			return -1;
		for (size_t i = 0; i < r->nd; i++)
			v = v * 10 + (r->d[i] - '0');
		for (; s > 0; s--)
			v *= 10;
	} else if ((unsigned long long)-s > r->nd) {
		v = 0; /* below half a cent */
	} else {
		size_t keep = r->nd - (size_t)-s;

		if (keep > 12)
			return -1;
		for (size_t i = 0; i < keep; i++)
			v = v * 10 + (r->d[i] - '0');
		if (r->d[keep] >= '5')
			v++;
	}
	if (v > IHP_MAX_CENTS)
		return -1;
	*cents = v;
	return 0;
}

static void check_written(const char *what, const char *out)
{
	FUZZ_CHECK(ih_valid_decimal(out) && fuzz_is_price(out), "%s wrote '%s', which the host or the column refuses",
		   what, out);
}

static void check_cents(long long c)
{
	char out[IHP_MONEY_LEN], want[64];
	int rc = ihp_money_cents(c, out, sizeof out);

	if (c < 0 || c > IHP_MAX_CENTS) {
		FUZZ_CHECK(rc < 0, "ihp_money_cents(%lld) accepted", c);
		return;
	}
	FUZZ_CHECK(rc == 0, "ihp_money_cents(%lld) refused", c);
	snprintf(want, sizeof want, "%lld.%02lld", c / 100, c % 100);
	FUZZ_CHECK(strcmp(out, want) == 0, "ihp_money_cents(%lld) = '%s', not '%s'", c, out, want);
	check_written("ihp_money_cents", out);
	FUZZ_CHECK(ihp_money_cents(c, out, 4) < 0, "a 4-byte buffer took %lld cents", c);
}

/* Plain decimal text as ihp_money_decimal documents it. */
static int ref_plain_decimal(const char *s)
{
	const char *p = s;
	size_t intd = 0, frac = 0;

	if (!(*p >= '0' && *p <= '9'))
		return 0;
	while (*p == '0' && p[1] >= '0' && p[1] <= '9')
		p++;
	for (; *p >= '0' && *p <= '9'; p++)
		intd++;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			frac++;
		if (frac == 0)
			return 0;
	}
	return *p == '\0' && intd <= 10 && frac <= 8;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	char out[IHP_MONEY_LEN];
	refnum *r;
	long long cents = -1, want;
	int rc, ref;

	if (size > 4000)
		return 0;
	s = fuzz_cstr(data, size);
	r = malloc(sizeof *r);
	if (r == NULL)
		abort();

	/* ih_valid_decimal: what it accepts must fit the column */
	if (ih_valid_decimal(s)) {
		const char *ip, *fp;
		size_t il, fl;
		int neg;

		FUZZ_CHECK(fuzz_decimal_parts(s, &neg, &ip, &il, &fp, &fl), "ih_valid_decimal accepted '%.60s'", s);
		FUZZ_CHECK(fuzz_fits_numeric_12_2(s),
			   "ih_valid_decimal accepted '%.60s', which overflows numeric(12,2) after rounding", s);
	}

	/* ihp_money_decimal: exactly plain decimals below 10^10, unchanged */
	memset(out, 0x55, sizeof out);
	rc = ihp_money_decimal(s, out, sizeof out);
	ref = ref_plain_decimal(s) && strlen(s) < sizeof out;
	FUZZ_CHECK((rc == 0) == ref, "ihp_money_decimal('%.60s') = %d, the reference says %s", s, rc,
		   ref ? "valid" : "invalid");
	if (rc == 0) {
		FUZZ_CHECK(strcmp(out, s) == 0, "ihp_money_decimal changed '%s' into '%s'", s, out);
		/* more than 2 decimals: the host refuses the row, by its own rule */
		if (fuzz_decimals(out) <= 2) {
			FUZZ_CHECK(ih_valid_decimal(out), "ihp_money_decimal passed '%s', which ih_valid_decimal refuses",
				   out);
			FUZZ_CHECK(fuzz_is_price(out), "ihp_money_decimal passed '%s', which does not fit the column", out);
		}
	}

	/* ihp_number_to_cents and ihp_money_number against the reference */
	ref = ref_parse(s, r) ? ref_cents(r, &want) : -1;
	rc = ihp_number_to_cents(s, &cents);
	FUZZ_CHECK(rc == ref, "ihp_number_to_cents('%.60s') = %d, the reference says %d", s, rc, ref);
	if (rc == 0) {
		FUZZ_CHECK(cents == want, "ihp_number_to_cents('%.60s') = %lld cents, not %lld", s, cents, want);
		rc = ihp_money_number(s, out, sizeof out);
		FUZZ_CHECK(rc == 0, "ihp_money_number('%.60s') refused what ihp_number_to_cents took", s);
		check_written("ihp_money_number", out);
		check_cents(cents);
	} else {
		FUZZ_CHECK(ihp_money_number(s, out, sizeof out) < 0, "ihp_money_number('%.60s') accepted", s);
	}

	/* ihp_money_cents over the input as an integer */
	{
		char *end;
		long long c;

		errno = 0;
		c = strtoll(s, &end, 10);
		if (end != s && errno == 0)
			check_cents(c);
		if (size >= 8) {
			memcpy(&c, data, sizeof c);
			check_cents(c);
			check_cents(c % 2000000000000LL);
		}
	}
	free(r);
	free(s);
	return 0;
}
