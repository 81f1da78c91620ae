#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "expected.h"

const char *const mu_mkt_names[MU_NMKT] = { "scryfall", "cardtrader", "tcgplayer", "manapool" };

int mu_mkt_index(const char *name)
{
	for (int m = 0; m < MU_NMKT; m++)
		if (name != NULL && strcmp(name, mu_mkt_names[m]) == 0)
			return m;
	return -1;
}

int64_t mu_tcg_price(const mu_tcg_row *r)
{
	return r->market >= 0 ? r->market : r->mid >= 0 ? r->mid : r->low;
}

static void line(mu_line_fn emit, void *ud, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void line(mu_line_fn emit, void *ud, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (emit == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	emit(ud, buf);
}

static const char *ct_grade(const char *g)
{
	if (strcmp(g, "Mint") == 0 || strcmp(g, "Near Mint") == 0)
		return "NM";
	if (strcmp(g, "Slightly Played") == 0)
		return "LP";
	if (strcmp(g, "Moderately Played") == 0)
		return "MP";
	if (strcmp(g, "Played") == 0 || strcmp(g, "Heavily Played") == 0)
		return "HP";
	return "DMG";
}

/* Scryfall: one row per non-null price key (eur_etched is not in its answers). */
static int scryfall(const mu_card *c, mu_line_fn emit, void *ud)
{
	static const char *const finish[MU_NPRICES] = { "nonfoil", "foil", "etched", "nonfoil", "foil", "etched",
							"nonfoil" };
	static const char *const cur[MU_NPRICES] = { "USD", "USD", "USD", "EUR", "EUR", "EUR", "TIX" };
	char m[32];
	int n = 0;

	for (int k = 0; k < MU_NPRICES; k++)
		if (c->sf[k] >= 0 && k != MU_EUR_ETCHED) {
			line(emit, ud, "%s|scryfall|NM|%s|%s|%s|%s|-1", c->scryfall_id, finish[k], c->lang, cur[k],
			     mu_money(c->sf[k], m));
			n++;
		}
	return n;
}

/* TCGplayer: one row per product row with a price; the etched product is etched. */
static int tcgplayer(uint64_t seed, const mu_card *c, mu_line_fn emit, void *ud)
{
	mu_tcg_row t[3];
	char m[32];
	int nt = mu_tcg_rows(seed, c, t), n = 0;

	for (int j = 0; j < nt; j++) {
		int64_t p = mu_tcg_price(&t[j]);
		const char *f = t[j].product_id == c->tcgplayer_etched_id ? "etched"
				: strcmp(t[j].sub_type, "Foil") == 0    ? "foil"
									: "nonfoil";

		if (p >= 0) {
			line(emit, ud, "%s|tcgplayer|NM|%s|%s|USD|%s|-1", c->scryfall_id, f, c->lang, mu_money(p, m));
			n++;
		}
	}
	return n;
}

/* Mana Pool: per finish, a non-zero NM and LP+ price. */
static int manapool(uint64_t seed, const mu_card *c, mu_line_fn emit, void *ud)
{
	static const char *const fin[3] = { "nonfoil", "foil", "etched" };
	mu_mp_row mp;
	char m[32];
	int n = 0;

	mu_mp_row_get(seed, c, &mp);
	for (int f = 0; f < 3; f++) {
		if (mp.nm[f] > 0) {
			line(emit, ud, "%s|manapool|NM|%s|%s|USD|%s|%d", c->scryfall_id, fin[f], c->lang,
			     mu_money(mp.nm[f], m), (int)mp.quantity);
			n++;
		}
		if (mp.lp[f] > 0) {
			line(emit, ud, "%s|manapool|LP|%s|%s|USD|%s|%d", c->scryfall_id, fin[f], c->lang,
			     mu_money(mp.lp[f], m), (int)mp.quantity);
			n++;
		}
	}
	return n;
}

/* CardTrader: the cheapest listing and the count per condition, finish, language. */
static int cardtrader(uint64_t seed, const mu_card *c, mu_line_fn emit, void *ud)
{
	mu_listing ls[MU_MAX_LISTINGS];
	char m[32];
	int nl = mu_listings(seed, c, ls), n = 0;

	for (int a = 0; a < nl; a++) {
		const char *lang = strcmp(ls[a].lang, "jp") == 0 ? "ja" : ls[a].lang;
		int dup = 0, count = 0;
		int64_t min = ls[a].cents;

		for (int b = 0; b < a; b++)
			dup |= strcmp(ct_grade(ls[b].grade), ct_grade(ls[a].grade)) == 0 && ls[b].foil == ls[a].foil &&
			       strcmp(ls[b].lang, ls[a].lang) == 0;
		if (dup)
			continue;
		for (int b = 0; b < nl; b++)
			if (strcmp(ct_grade(ls[b].grade), ct_grade(ls[a].grade)) == 0 && ls[b].foil == ls[a].foil &&
			    strcmp(ls[b].lang, ls[a].lang) == 0) {
				count++;
				if (ls[b].cents < min)
					min = ls[b].cents;
			}
		line(emit, ud, "%s|cardtrader|%s|%s|%s|EUR|%s|%d", c->scryfall_id, ct_grade(ls[a].grade),
		     ls[a].foil ? "foil" : "nonfoil", lang, mu_money(min, m), count);
		n++;
	}
	return n;
}

int mu_card_lines(uint64_t seed, const mu_card *c, int mkt, mu_line_fn emit, void *ud)
{
	switch (mkt) {
	case MU_MKT_SCRYFALL: return scryfall(c, emit, ud);
	case MU_MKT_CARDTRADER: return cardtrader(seed, c, emit, ud);
	case MU_MKT_TCGPLAYER: return tcgplayer(seed, c, emit, ud);
	case MU_MKT_MANAPOOL: return manapool(seed, c, emit, ud);
	default: return 0;
	}
}

long mu_expected_lines(uint64_t seed, int ncards, int mkt, mu_line_fn emit, void *ud)
{
	/* the order market_test.c always listed them in */
	static const int order[MU_NMKT] = { MU_MKT_SCRYFALL, MU_MKT_TCGPLAYER, MU_MKT_MANAPOOL, MU_MKT_CARDTRADER };
	long n = 0;

	for (int i = 0; i < ncards; i++) {
		mu_card c;

		mu_card_get(seed, i, &c);
		for (int k = 0; k < MU_NMKT; k++)
			if (mkt < 0 || mkt == order[k])
				n += mu_card_lines(seed, &c, order[k], emit, ud);
	}
	return n;
}
