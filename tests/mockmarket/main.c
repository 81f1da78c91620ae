/*
 * ingest-mockmarket -- the bundled marketplace simulator.  See README.md
 * beside this file for the options.
 */
#include "config.h"

#include <getopt.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "mockmarket.h"
#include "server.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* ---- the scryfall id index ------------------------------------------------ */

typedef struct idx_ent {
	char id[37];
	int idx;
} idx_ent;

static idx_ent *index_;
static int nindex;

static int cmp_ent(const void *a, const void *b)
{
	return strcmp(((const idx_ent *)a)->id, ((const idx_ent *)b)->id);
}

void mm_index_build(mm_state *s)
{
	index_ = calloc((size_t)s->ncards + 1, sizeof *index_);
	for (int i = 0; i < s->ncards; i++) {
		mu_card c;

		mu_card_get(s->seed, i, &c);
		memcpy(index_[i].id, c.scryfall_id, sizeof index_[i].id);
		index_[i].idx = i;
	}
	nindex = s->ncards;
	qsort(index_, (size_t)nindex, sizeof *index_, cmp_ent);
}

int mm_find_card(const mm_state *s, const char *scryfall_id)
{
	idx_ent key, *e;

	(void)s;
	if (scryfall_id == NULL || strlen(scryfall_id) != 36)
		return -1;
	memcpy(key.id, scryfall_id, 37);
	for (int i = 0; i < 36; i++)
		if (key.id[i] >= 'A' && key.id[i] <= 'F')
			key.id[i] = (char)(key.id[i] + 32);
	e = bsearch(&key, index_, (size_t)nindex, sizeof *index_, cmp_ent);
	return e != NULL ? e->idx : -1;
}

/* ---- --write-bulk: the universe as a Scryfall bulk file -------------------- */

static const char *const filler =
	"When this creature enters the battlefield, create a 2/2 red Goblin Shaman creature token with "
	"\\\"Whenever this creature attacks, create a Treasure token.\\\" At the beginning of your upkeep, you may "
	"discard a card. If you do, draw a card. Channel - {2}{R}, Discard this card: it deals 3 damage to any "
	"target. (Ruling text and reminder text make real card objects long; this filler keeps the size honest.)";

static void bulk_card(mm_sb *b, const mu_card *c)
{
	static const char *const formats[] = { "standard", "future", "historic", "timeless", "gladiator", "pioneer",
					       "explorer", "modern", "legacy", "pauper", "vintage", "penny",
					       "commander", "oathbreaker", "standardbrawl", "brawl", "alchemy",
					       "paupercommander", "duel", "oldschool", "premodern", "predh" };

	mm_sb_printf(b,
		     "{\"object\":\"card\",\"id\":\"%s\",\"oracle_id\":\"%s\",\"multiverse_ids\":[%d],"
		     "\"mtgo_id\":%d,\"tcgplayer_id\":%d,\"cardmarket_id\":%d,\"name\":\"%s\",\"lang\":\"%s\","
		     "\"released_at\":\"2022-02-18\",\"uri\":\"https://api.scryfall.com/cards/%s\","
		     "\"scryfall_uri\":\"https://scryfall.com/card/%s/%s/%s?utm_source=api\",\"layout\":\"normal\","
		     "\"highres_image\":true,\"image_status\":\"highres_scan\",\"image_uris\":{",
		     c->scryfall_id, c->oracle_id, 500000 + c->idx, c->mtgo_id, c->tcgplayer_id, c->cardmarket_id,
		     c->name, c->lang, c->scryfall_id, c->set_code, c->collector_number, c->lang);
	{
		static const char *const kinds[] = { "small", "normal", "large", "png", "art_crop", "border_crop" };

		for (int k = 0; k < 6; k++)
			mm_sb_printf(b, "%s\"%s\":\"https://cards.scryfall.io/%s/front/%c/%c/%s.jpg?1654566563\"",
				     k ? "," : "", kinds[k], kinds[k], c->scryfall_id[0], c->scryfall_id[1],
				     c->scryfall_id);
	}
	mm_sb_printf(b,
		     "},\"mana_cost\":\"{2}{R}\",\"cmc\":3.0,\"type_line\":\"Enchantment - Saga\","
		     "\"oracle_text\":\"%s %s\",\"colors\":[\"R\"],\"color_identity\":[\"R\"],\"keywords\":[],"
		     "\"legalities\":{",
		     filler, filler);
	for (size_t k = 0; k < sizeof formats / sizeof formats[0]; k++)
		mm_sb_printf(b, "%s\"%s\":\"%s\"", k ? "," : "", formats[k], k % 3 ? "legal" : "not_legal");
	mm_sb_printf(b,
		     "},\"games\":[\"paper\",\"mtgo\"],\"reserved\":false,\"foil\":true,\"nonfoil\":true,"
		     "\"finishes\":[\"nonfoil\",\"foil\"%s],\"oversized\":false,\"promo\":false,\"reprint\":false,"
		     "\"variation\":false,\"set_id\":\"59a2059f-5482-433f-8a46-b9cb9b0a6b1c\",\"set\":\"%s\","
		     "\"set_name\":\"Set %s\",\"set_type\":\"expansion\",\"collector_number\":\"%s\","
		     "\"digital\":false,\"rarity\":\"rare\",\"flavor_text\":\"%s\",\"artist\":\"Artist Name\","
		     "\"border_color\":\"black\",\"frame\":\"2015\",\"full_art\":false,\"textless\":false,"
		     "\"booster\":true,\"story_spotlight\":false,\"edhrec_rank\":%d,\"prices\":{",
		     c->tcgplayer_etched_id ? ",\"etched\"" : "", c->set_code, c->set_code, c->collector_number, filler,
		     1000 + c->idx);
	for (int k = 0; k < MU_NPRICES; k++) {
		if (k == MU_EUR_ETCHED)
			continue;
		mm_sb_printf(b, "%s\"%s\":", k ? "," : "", mu_price_keys[k]);
		mm_sb_money_or_null(b, c->sf[k], 1);
	}
	mm_sb_printf(b,
		     "},\"related_uris\":{\"gatherer\":\"https://gatherer.wizards.com/Pages/Card/Details.aspx?multiverseid=%d\","
		     "\"tcgplayer_infinite_articles\":\"https://tcgplayer.pxf.io/c/4931599/1830156/21018?subId1=api&trafcat=infinite&u=https%%3A%%2F%%2Finfinite.tcgplayer.com%%2Fsearch%%3FcontentMode%%3Darticle%%26game%%3Dmagic%%26q%%3D%s\","
		     "\"edhrec\":\"https://edhrec.com/route/?cc=%s\"},"
		     "\"purchase_uris\":{\"tcgplayer\":\"https://tcgplayer.pxf.io/c/4931599/1830156/21018?subId1=api&u=https%%3A%%2F%%2Fwww.tcgplayer.com%%2Fproduct%%2F%d%%3Fpage%%3D1\","
		     "\"cardmarket\":\"https://www.cardmarket.com/en/Magic/Products/Search?referrer=scryfall&searchString=%s&utm_campaign=card_prices&utm_medium=text&utm_source=scryfall\","
		     "\"cardhoarder\":\"https://www.cardhoarder.com/cards/%d?affiliate_id=scryfall&ref=card-profile&utm_campaign=affiliate&utm_medium=card&utm_source=scryfall\"}",
		     500000 + c->idx, c->oracle_id, c->oracle_id, c->tcgplayer_id, c->oracle_id, c->mtgo_id);
	if (c->tcgplayer_etched_id)
		mm_sb_printf(b, ",\"tcgplayer_etched_id\":%d", c->tcgplayer_etched_id);
	mm_sb_printf(b, "}");
}

static int write_bulk(mm_state *s, const char *path, int legacy, int gz)
{
	gzFile g = NULL;
	FILE *f = NULL;
	mm_sb b = { 0 };

	if (gz)
		g = gzopen(path, "wb6");
	else
		f = fopen(path, "w");
	if (g == NULL && f == NULL) {
		perror(path);
		return 1;
	}
	if (legacy)
		mm_sb_printf(&b, "[\n");
	for (int i = 0; i < s->ncards; i++) {
		mu_card c;

		mu_card_get(s->seed, i, &c);
		bulk_card(&b, &c);
		mm_sb_printf(&b, legacy ? (i + 1 < s->ncards ? ",\n" : "\n") : "\n");
		if (b.len > (1 << 20) || i + 1 == s->ncards) {
			if (legacy && i + 1 == s->ncards)
				mm_sb_printf(&b, "]\n");
			if (g != NULL)
				gzwrite(g, b.p, (unsigned)b.len);
			else
				fwrite(b.p, 1, b.len, f);
			b.len = 0;
		}
	}
	if (s->ncards == 0 && legacy) {
		if (g != NULL)
			gzwrite(g, "[]\n", 3);
		else
			fputs("[]\n", f);
	}
	free(b.p);
	if (g != NULL)
		return gzclose(g) == Z_OK ? 0 : 1;
	return fclose(f) == 0 ? 0 : 1;
}

/* ---- --seed-db: the universe into cards ------------------------------------- */

static int seed_db(mm_state *s, const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r;
	mm_sb b = { 0 };
	int rc = 1;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "ingest-mockmarket: %s", PQerrorMessage(c));
		PQfinish(c);
		return 2;
	}
	PQclear(PQexec(c, "BEGIN"));
	PQclear(PQexec(c, "CREATE TEMP TABLE mm_cards (LIKE cards INCLUDING DEFAULTS) ON COMMIT DROP"));
	r = PQexec(c, "COPY mm_cards (scryfall_id, oracle_id, name, set_code, collector_number, lang, tcgplayer_id, "
		      "tcgplayer_etched_id, cardmarket_id, mtgo_id) FROM STDIN");
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		fprintf(stderr, "ingest-mockmarket: %s", PQerrorMessage(c));
		goto out;
	}
	PQclear(r);
	for (int i = 0; i < s->ncards; i++) {
		mu_card k;
		char t[3][16];

		mu_card_get(s->seed, i, &k);
		snprintf(t[0], sizeof t[0], k.tcgplayer_id ? "%d" : "\\N", k.tcgplayer_id);
		snprintf(t[1], sizeof t[1], k.tcgplayer_etched_id ? "%d" : "\\N", k.tcgplayer_etched_id);
		snprintf(t[2], sizeof t[2], k.mtgo_id ? "%d" : "\\N", k.mtgo_id);
		mm_sb_printf(&b, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", k.scryfall_id, k.oracle_id, k.name,
			     k.set_code, k.collector_number, k.lang, t[0], t[1], (int)k.cardmarket_id, t[2]);
		if (b.len > (1 << 16) || i + 1 == s->ncards) {
			PQputCopyData(c, b.p, (int)b.len);
			b.len = 0;
		}
	}
	PQputCopyEnd(c, NULL);
	r = PQgetResult(c);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "ingest-mockmarket: COPY: %s", PQerrorMessage(c));
		goto out;
	}
	PQclear(r);
	r = PQexec(c, "INSERT INTO cards (scryfall_id, oracle_id, name, set_code, collector_number, lang, tcgplayer_id, "
		      "tcgplayer_etched_id, cardmarket_id, mtgo_id) SELECT scryfall_id, oracle_id, name, set_code, "
		      "collector_number, lang, tcgplayer_id, tcgplayer_etched_id, cardmarket_id, mtgo_id FROM mm_cards "
		      "ON CONFLICT (scryfall_id) DO UPDATE SET name = EXCLUDED.name, set_code = EXCLUDED.set_code, "
		      "collector_number = EXCLUDED.collector_number, lang = EXCLUDED.lang, "
		      "tcgplayer_id = EXCLUDED.tcgplayer_id, tcgplayer_etched_id = EXCLUDED.tcgplayer_etched_id, "
		      "cardmarket_id = EXCLUDED.cardmarket_id, mtgo_id = EXCLUDED.mtgo_id");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "ingest-mockmarket: %s", PQerrorMessage(c));
		goto out;
	}
	PQclear(r);
	r = PQexec(c, "COMMIT");
	rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : 1;
	if (rc == 0)
		fprintf(stderr, "ingest-mockmarket: seeded %d cards\n", s->ncards);
out:
	PQclear(r);
	free(b.p);
	PQfinish(c);
	return rc;
}

/* ---- --print-expected: the lines the host stores, sorted ------------------- */

typedef struct line_set {
	char **v;
	size_t n, cap;
} line_set;

static void keep_line(void *ud, const char *line)
{
	line_set *l = ud;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4096;
		l->v = realloc(l->v, l->cap * sizeof *l->v);
		if (l->v == NULL) {
			perror("ingest-mockmarket");
			exit(1);
		}
	}
	l->v[l->n++] = strdup(line);
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int print_expected(const mm_state *s, const char *mkt)
{
	line_set l = { 0 };
	int m = mkt != NULL ? mu_mkt_index(mkt) : -1;

	if (mkt != NULL && m < 0) {
		fprintf(stderr, "ingest-mockmarket: --print-expected: unknown marketplace '%s'\n", mkt);
		return 1;
	}
	mu_expected_lines(s->seed, s->ncards, m, keep_line, &l);
	if (l.n > 0)
		qsort(l.v, l.n, sizeof *l.v, cmp_line);
	for (size_t i = 0; i < l.n; i++) {
		puts(l.v[i]);
		free(l.v[i]);
	}
	free(l.v);
	return fflush(stdout) == 0 ? 0 : 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ingest-mockmarket [--cards N] [--seed S] [--port P] [--port-file F] [--latency MS]\n"
		"                         [--fault MKT:KIND[:N]]... [--rate MKT:RPS]...\n"
		"                         [--cardtrader-token T] [--cardtrader-currency CUR]\n"
		"                         [--tcgplayer-public K] [--tcgplayer-private K] [--tcgplayer-expires S]\n"
		"                         [--chaos SEED:PERCENT] [--chaos-hang MS] [--min-listings N]\n"
		"       ingest-mockmarket [--cards N] [--seed S] --print-expected [MKT]\n"
		"       ingest-mockmarket [--cards N] [--seed S] --write-bulk FILE [--bulk-format jsonl|legacy] [--bulk-gzip 0|1]\n"
		"       ingest-mockmarket [--cards N] [--seed S] --seed-db CONNINFO\n"
		"Faults: 429[:K] 401 500[:K] malformed truncated hang latency:MS gate:K; MKT is scryfall,\n"
		"cardtrader, tcgplayer or manapool.  At run time: POST /_control/fault (body: a fault spec),\n"
		"POST /_control/release (open the gates), POST /_control/chaos (body: SEED:PERCENT),\n"
		"POST /_control/reset, GET /_stats[?format=lines].\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cards", required_argument, NULL, 'n' },   { "seed", required_argument, NULL, 's' },
		{ "port", required_argument, NULL, 'p' },    { "port-file", required_argument, NULL, 'P' },
		{ "latency", required_argument, NULL, 'l' }, { "fault", required_argument, NULL, 'f' },
		{ "rate", required_argument, NULL, 'r' },    { "cardtrader-token", required_argument, NULL, 1 },
		{ "cardtrader-currency", required_argument, NULL, 2 }, { "tcgplayer-public", required_argument, NULL, 3 },
		{ "tcgplayer-private", required_argument, NULL, 4 }, { "tcgplayer-expires", required_argument, NULL, 5 },
		{ "write-bulk", required_argument, NULL, 6 }, { "bulk-format", required_argument, NULL, 7 },
		{ "bulk-gzip", required_argument, NULL, 8 }, { "seed-db", required_argument, NULL, 9 },
		{ "chaos", required_argument, NULL, 10 },    { "chaos-hang", required_argument, NULL, 11 },
		{ "print-expected", no_argument, NULL, 12 }, { "min-listings", required_argument, NULL, 13 },
		{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
	};
	static mm_state s;
	const char *port_file = NULL, *bulk = NULL, *seed_conninfo = NULL;
	int port = 0, bound = 0, legacy = 0, gz = 1, expect = 0, c;
	struct MHD_Daemon *d;

	s.seed = 42;
	s.ncards = 1000;
	s.ct_token = "sim-token";
	s.ct_currency = "EUR";
	s.tp_public = "sim-public";
	s.tp_private = "sim-private";
	s.tp_expires_in = 1209599;
	s.chaos.hang_ms = 3000;
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.gate_cv, NULL);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char spec[64];

		switch (c) {
		case 'n': s.ncards = atoi(optarg); break;
		case 's': s.seed = strtoull(optarg, NULL, 10); break;
		case 'p': port = atoi(optarg); break;
		case 'P': port_file = optarg; break;
		case 'l': s.latency_ms = atoi(optarg); break;
		case 'f':
			if (mm_fault_parse(&s, optarg) != 0) {
				fprintf(stderr, "ingest-mockmarket: bad --fault '%s'\n", optarg);
				return 1;
			}
			break;
		case 'r':
			snprintf(spec, sizeof spec, "%.*s:rate:%s", (int)strcspn(optarg, ":"), optarg,
				 strchr(optarg, ':') ? strchr(optarg, ':') + 1 : "0");
			if (mm_fault_parse(&s, spec) != 0) {
				fprintf(stderr, "ingest-mockmarket: bad --rate '%s'\n", optarg);
				return 1;
			}
			break;
		case 1: s.ct_token = optarg; break;
		case 2: s.ct_currency = optarg; break;
		case 3: s.tp_public = optarg; break;
		case 4: s.tp_private = optarg; break;
		case 5: s.tp_expires_in = atol(optarg); break;
		case 6: bulk = optarg; break;
		case 7: legacy = strcmp(optarg, "legacy") == 0; break;
		case 8: gz = atoi(optarg); break;
		case 9: seed_conninfo = optarg; break;
		case 10:
			if (mm_chaos_parse(&s, optarg) != 0) {
				fprintf(stderr, "ingest-mockmarket: bad --chaos '%s' (want SEED:PERCENT)\n", optarg);
				return 1;
			}
			break;
		case 11: s.chaos.hang_ms = atoi(optarg); break;
		case 12: expect = 1; break;
		case 13: mu_min_listings = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (s.ncards < 0 || s.ncards > 10000000) {
		fprintf(stderr, "ingest-mockmarket: --cards must be between 0 and 10000000\n");
		return 1;
	}
	snprintf(s.tp_token, sizeof s.tp_token, "sim-access-%llu", (unsigned long long)s.seed);
	if (expect)
		return print_expected(&s, optind < argc ? argv[optind] : NULL);
	if (optind < argc) {
		usage(stderr);
		return 1;
	}
	if (bulk != NULL)
		return write_bulk(&s, bulk, legacy, gz);
	if (seed_conninfo != NULL)
		return seed_db(&s, seed_conninfo);
	mm_index_build(&s);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	d = mm_serve(&s, port, &bound);
	if (d == NULL) {
		fprintf(stderr, "ingest-mockmarket: cannot listen on 127.0.0.1:%d\n", port);
		return 1;
	}
	printf("port %d\n", bound);
	fflush(stdout);
	if (port_file != NULL) {
		char tmp[4096];
		FILE *f;

		snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
		f = fopen(tmp, "w");
		if (f != NULL) {
			fprintf(f, "%d\n", bound);
			fclose(f);
			rename(tmp, port_file);
		}
	}
	while (!stop_requested)
		pause();
	s.stopping = 1;
	MHD_stop_daemon(d);
	return 0;
}
