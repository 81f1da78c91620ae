/*
 * validate -- the host's check of one snapshot (vocabulary, money), the
 * same for the writer, the fake host and the plugin author's kit.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "host/validate.h"

static int one_of(const char *s, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

/* Non-negative decimal text that fits numeric(12,2). */
static int money(const char *s)
{
	size_t i = 0, intd = 0, frac = 0;

	while (isdigit((unsigned char)s[i])) {
		i++;
		intd++;
	}
	if (s[i] == '.') {
		i++;
		while (isdigit((unsigned char)s[i])) {
			i++;
			frac++;
		}
		if (frac == 0)
			return 0;
	}
	return s[i] == '\0' && intd >= 1 && intd <= 10 && frac <= 2;
}

/* 8-4-4-4-12 hexadecimal digits: the only shape of a Scryfall id.  Anything
 * else (invalid UTF-8 among it) would make PostgreSQL refuse the whole
 * batch the row is in, not the row. */
static int uuid(const char *s)
{
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return s[36] == '\0';
}

/* What a message may quote of a plugin's string: printable ASCII, cut. */
static void quote(char *out, size_t len, const char *s)
{
	size_t k = 0;

	for (; s != NULL && *s != '\0' && k + 1 < len; s++)
		out[k++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	out[k] = '\0';
}

int ih_snapshot_validate(const ih_snapshot *s, char *why, size_t len)
{
	static const char *const conditions[] = { "NM", "LP", "MP", "HP", "DMG", NULL };
	static const char *const finishes[] = { "nonfoil", "foil", "etched", NULL };
	const char *prices[3] = { s->price_low, s->price_mid, s->price_high };

	if (s->card_id <= 0 && (s->scryfall_id == NULL || strlen(s->scryfall_id) != 36)) {
		char q[48];

		quote(q, sizeof q, s->scryfall_id != NULL ? s->scryfall_id : "(null)");
		snprintf(why, len, "no card: card_id %d and scryfall_id %s", (int)s->card_id, q);
		return -1;
	}
	if (s->scryfall_id != NULL && s->card_id <= 0 && !uuid(s->scryfall_id)) {
		char q[48];

		quote(q, sizeof q, s->scryfall_id);
		snprintf(why, len, "scryfall_id '%s' is not a UUID", q);
		return -1;
	}
	if (s->condition == NULL || !one_of(s->condition, conditions)) {
		snprintf(why, len, "condition '%.16s' is not one of NM LP MP HP DMG",
			 s->condition != NULL ? s->condition : "(null)");
		return -1;
	}
	if (s->finish == NULL || !one_of(s->finish, finishes)) {
		snprintf(why, len, "finish '%.16s' is not one of nonfoil foil etched",
			 s->finish != NULL ? s->finish : "(null)");
		return -1;
	}
	if (s->currency == NULL || strlen(s->currency) != 3 || !isupper((unsigned char)s->currency[0]) ||
	    !isupper((unsigned char)s->currency[1]) || !isupper((unsigned char)s->currency[2])) {
		snprintf(why, len, "currency '%.16s' is not a three-letter code",
			 s->currency != NULL ? s->currency : "(null)");
		return -1;
	}
	if (s->language != NULL) {
		size_t l = strlen(s->language);

		if (l < 2 || l > 3 || !islower((unsigned char)s->language[0]) ||
		    !islower((unsigned char)s->language[1]) || (l == 3 && !islower((unsigned char)s->language[2]))) {
			snprintf(why, len, "language '%.16s' is not a Scryfall language code", s->language);
			return -1;
		}
	}
	if (s->price == NULL || !money(s->price)) {
		snprintf(why, len, "price '%.24s' is not a non-negative decimal with at most 2 places",
			 s->price != NULL ? s->price : "(null)");
		return -1;
	}
	for (int i = 0; i < 3; i++)
		if (prices[i] != NULL && !money(prices[i])) {
			snprintf(why, len, "price_%s '%.24s' is not a non-negative decimal", i == 0 ? "low" : i == 1 ? "mid" : "high",
				 prices[i]);
			return -1;
		}
	return 0;
}

