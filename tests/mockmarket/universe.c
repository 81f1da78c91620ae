#include "config.h"

#include <stdio.h>
#include <string.h>

#include "universe.h"

int mu_min_listings;

const char *const mu_price_keys[MU_NPRICES] = { "usd", "usd_foil", "usd_etched", "eur", "eur_foil", "eur_etched",
						"tix" };

static uint64_t mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The k-th random number of card i. */
static uint64_t h(uint64_t seed, int i, int k)
{
	return mix(mix(seed * 0x100000001b3ULL + (uint64_t)i) + (uint64_t)k);
}

static void uuid(uint64_t a, uint64_t b, char out[37])
{
	snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
		 (unsigned)a & 0xfff, (unsigned)(0x8000 | ((b >> 48) & 0x3fff)),
		 (unsigned long long)(b & 0xffffffffffffULL));
}

char *mu_money(int64_t cents, char *buf)
{
	sprintf(buf, "%lld.%02lld", (long long)(cents / 100), (long long)(cents % 100));
	return buf;
}

void mu_card_get(uint64_t seed, int i, mu_card *c)
{
	static const char *const first[] = { "Fable", "Ragavan", "Sheoldred", "Orcish", "Llanowar", "Counterspell",
					      "Thoughtseize", "Lightning", "Dark", "Serra" };
	static const char *const second[] = { "Bowmasters", "Elves", "Angel", "Confidant", "Ritual", "Helix",
					       "Mirror-Breaker", "Apparition", "Bolt", "Tutor" };
	uint64_t r = h(seed, i, 0);
	int lang = (int)(h(seed, i, 1) % 100), none = h(seed, i, 2) % 33 == 0;

	memset(c, 0, sizeof *c);
	c->idx = i;
	uuid(h(seed, i, 3), h(seed, i, 4), c->scryfall_id);
	uuid(h(seed, i / 3, 5), h(seed, i / 3, 6), c->oracle_id);
	snprintf(c->name, sizeof c->name, "%s %s %d", first[r % 10], second[(r / 10) % 10], i);
	snprintf(c->set_code, sizeof c->set_code, "s%02d", i / MU_SET_SIZE);
	snprintf(c->collector_number, sizeof c->collector_number, "%d", i % MU_SET_SIZE + 1);
	snprintf(c->lang, sizeof c->lang, "%s", lang < 5 ? "ja" : lang < 8 ? "de" : "en");
	c->tcgplayer_id = h(seed, i, 7) % 10 == 0 ? 0 : 200000 + i;
	c->tcgplayer_etched_id = h(seed, i, 8) % 20 == 0 ? 900000 + i : 0;
	c->cardmarket_id = 500000 + i;
	c->mtgo_id = h(seed, i, 9) % 4 == 0 ? 0 : 70000 + i;
	c->expansion_id = 1000 + i / MU_SET_SIZE;
	c->blueprint_id = 100000 + i;
	for (int k = 0; k < MU_NPRICES; k++)
		c->sf[k] = -1;
	if (none)
		return;
	c->sf[MU_USD] = 10 + (int64_t)(h(seed, i, 10) % 5000);
	if (h(seed, i, 11) % 3 == 0)
		c->sf[MU_USD_FOIL] = c->sf[MU_USD] * 2 + 7;
	if (c->tcgplayer_etched_id != 0)
		c->sf[MU_USD_ETCHED] = c->sf[MU_USD] * 3 + 1;
	if (h(seed, i, 12) % 5 != 0)
		c->sf[MU_EUR] = c->sf[MU_USD] * 9 / 10 + 3;
	if (c->sf[MU_USD_FOIL] > 0 && h(seed, i, 13) % 2 == 0)
		c->sf[MU_EUR_FOIL] = c->sf[MU_USD_FOIL] * 9 / 10;
	if (c->sf[MU_USD_ETCHED] > 0 && h(seed, i, 14) % 2 == 0)
		c->sf[MU_EUR_ETCHED] = c->sf[MU_USD_ETCHED] * 9 / 10;
	if (c->mtgo_id != 0)
		c->sf[MU_TIX] = 1 + (int64_t)(h(seed, i, 15) % 400);
}

static void tcg_row(uint64_t seed, int i, int k, int32_t product, const char *sub, int64_t base, mu_tcg_row *r)
{
	uint64_t x = h(seed, i, 20 + k);

	r->product_id = product;
	r->sub_type = sub;
	r->low = base * 8 / 10;
	r->mid = base + (int64_t)(x % 50);
	r->high = base * 3;
	r->market = x % 7 == 0 ? -1 : base; /* some rows have no market price */
	r->direct_low = x % 3 == 0 ? base + 10 : -1;
	if (x % 11 == 0)
		r->mid = -1;
}

int mu_tcg_rows(uint64_t seed, const mu_card *c, mu_tcg_row rows[3])
{
	int n = 0;

	if (c->sf[MU_USD] < 0)
		return 0;
	if (c->tcgplayer_id != 0) {
		tcg_row(seed, c->idx, 0, c->tcgplayer_id, "Normal", c->sf[MU_USD], &rows[n++]);
		if (c->sf[MU_USD_FOIL] > 0)
			tcg_row(seed, c->idx, 1, c->tcgplayer_id, "Foil", c->sf[MU_USD_FOIL], &rows[n++]);
	}
	if (c->tcgplayer_etched_id != 0)
		tcg_row(seed, c->idx, 2, c->tcgplayer_etched_id, "Foil", c->sf[MU_USD_ETCHED], &rows[n++]);
	return n;
}

void mu_mp_row_get(uint64_t seed, const mu_card *c, mu_mp_row *r)
{
	uint64_t x = h(seed, c->idx, 30);
	int64_t base[3] = { c->sf[MU_USD], c->sf[MU_USD_FOIL], c->sf[MU_USD_ETCHED] };

	for (int f = 0; f < 3; f++) {
		if (base[f] < 0) {
			r->any[f] = r->lp[f] = r->nm[f] = -1;
			continue;
		}
		r->nm[f] = base[f] + 5;
		r->lp[f] = (x >> f) % 4 == 0 ? 0 : base[f] - base[f] / 10; /* 0: no LP+ price */
		r->any[f] = r->lp[f] > 0 ? r->lp[f] : r->nm[f];
	}
	r->quantity = (int32_t)(x % 40);
}

int mu_listings(uint64_t seed, const mu_card *c, mu_listing out[MU_MAX_LISTINGS])
{
	static const char *const grades[] = { "Mint", "Near Mint", "Slightly Played", "Moderately Played", "Played",
					      "Heavily Played", "Poor" };
	static const char *const langs[] = { "en", "en", "en", "jp", "de", "it" };
	int n = (int)(h(seed, c->idx, 40) % (MU_MAX_LISTINGS + 1));
	int64_t base = c->sf[MU_EUR] > 0 ? c->sf[MU_EUR] : 50;

	if (n < mu_min_listings)
		n = mu_min_listings > MU_MAX_LISTINGS ? MU_MAX_LISTINGS : mu_min_listings;

	for (int j = 0; j < n; j++) {
		uint64_t x = h(seed, c->idx, 41 + j);

		out[j].id = (int64_t)c->blueprint_id * 100 + j;
		out[j].grade = grades[x % 7];
		out[j].lang = langs[(x >> 8) % 6];
		out[j].foil = (x >> 16) % 4 == 0;
		out[j].cents = base + (int64_t)((x >> 24) % 300);
		out[j].quantity = 1 + (int)((x >> 40) % 4);
	}
	/* cheapest first, as CardTrader answers */
	for (int a = 1; a < n; a++)
		for (int b = a; b > 0 && out[b].cents < out[b - 1].cents; b--) {
			mu_listing t = out[b];

			out[b] = out[b - 1];
			out[b - 1] = t;
		}
	return n;
}

void mu_stranger_id(uint64_t seed, int j, char out[37])
{
	uuid(h(seed ^ 0x5555, -1 - j, 50), h(seed ^ 0x5555, -1 - j, 51), out);
}
