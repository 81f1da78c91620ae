/* The four marketplaces' endpoints, in their real shapes. */
#include "config.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mockmarket.h"

const char *const mm_names[MM_NMKT] = { "scryfall", "cardtrader", "tcgplayer", "manapool" };
const char *const mm_endpoints[MM_NMKT][MM_NEP] = {
	{ "collection", "card", "bulk_data", "file" },
	{ "expansions", "export", "products", "info" },
	{ "token", "pricing", NULL, NULL },
	{ "singles", NULL, NULL, NULL },
};

void mm_sb_printf(mm_sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->p != NULL && (size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		b->cap = b->cap ? b->cap * 2 : 4096;
		while (b->cap < b->len + (size_t)n + 1)
			b->cap *= 2;
		b->p = realloc(b->p, b->cap);
	}
}

void mm_sb_money_or_null(mm_sb *b, int64_t cents, int quoted)
{
	char m[32];

	if (cents < 0)
		mm_sb_printf(b, "null");
	else
		mm_sb_printf(b, quoted ? "\"%s\"" : "%s", mu_money(cents, m));
}

static void json_reply(mm_reply *r, unsigned status, mm_sb *b)
{
	r->status = status;
	r->body = b->p != NULL ? b->p : strdup("");
	r->len = b->p != NULL ? b->len : 0;
	r->content_type = "application/json";
}

static void text_reply(mm_reply *r, unsigned status, const char *text)
{
	mm_sb b = { 0 };

	mm_sb_printf(&b, "%s", text);
	json_reply(r, status, &b);
}

/* ---- Scryfall ------------------------------------------------------------ */

static void sf_error(mm_reply *r, unsigned status, const char *code, const char *details)
{
	mm_sb b = { 0 };

	mm_sb_printf(&b, "{\"object\":\"error\",\"code\":\"%s\",\"status\":%u,\"details\":\"%s\"}", code, status,
		     details);
	json_reply(r, status, &b);
}

static void sf_card_json(mm_sb *b, const mu_card *c)
{
	mm_sb_printf(b,
		     "{\"object\":\"card\",\"id\":\"%s\",\"oracle_id\":\"%s\",\"lang\":\"%s\",\"name\":\"%s\","
		     "\"set\":\"%s\",\"collector_number\":\"%s\",\"finishes\":[\"nonfoil\"%s%s],\"prices\":{",
		     c->scryfall_id, c->oracle_id, c->lang, c->name, c->set_code, c->collector_number,
		     c->sf[MU_USD_FOIL] >= 0 ? ",\"foil\"" : "", c->tcgplayer_etched_id ? ",\"etched\"" : "");
	for (int k = 0; k < MU_NPRICES; k++) {
		if (k == MU_EUR_ETCHED)
			continue; /* not in Scryfall's own type file */
		mm_sb_printf(b, "%s\"%s\":", k ? "," : "", mu_price_keys[k]);
		mm_sb_money_or_null(b, c->sf[k], 1);
	}
	mm_sb_printf(b, "}");
	if (c->tcgplayer_id)
		mm_sb_printf(b, ",\"tcgplayer_id\":%d", (int)c->tcgplayer_id);
	if (c->tcgplayer_etched_id)
		mm_sb_printf(b, ",\"tcgplayer_etched_id\":%d", (int)c->tcgplayer_etched_id);
	mm_sb_printf(b, ",\"cardmarket_id\":%d}", (int)c->cardmarket_id);
}

static void scryfall(mm_state *s, const char *method, const char *path, const char *body, size_t len,
		     mm_lookup header, void *ud, mm_reply *r)
{
	if (header(ud, "User-Agent") == NULL) {
		sf_error(r, 400, "bad_request", "A User-Agent header is required.");
		return;
	}
	if (strcmp(method, "POST") == 0 && strcmp(path, "/cards/collection") == 0) {
		json_object *req = json_tokener_parse(body != NULL ? body : ""), *ids;
		mm_sb b = { 0 }, nf = { 0 };
		size_t n;
		int first = 1, nfirst = 1;

		(void)len;
		r->endpoint = 0;
		if (req == NULL || !json_object_object_get_ex(req, "identifiers", &ids) ||
		    !json_object_is_type(ids, json_type_array)) {
			json_object_put(req);
			sf_error(r, 400, "bad_request", "The request body must be a JSON object with identifiers.");
			return;
		}
		n = json_object_array_length(ids);
		if (n > 75) {
			json_object_put(req);
			sf_error(r, 422, "validation_error", "Too many identifiers: at most 75 per request.");
			return;
		}
		mm_sb_printf(&b, "{\"object\":\"list\",\"not_found\":[");
		for (size_t i = 0; i < n; i++) {
			json_object *o = json_object_array_get_idx(ids, i), *id;
			const char *sid = json_object_object_get_ex(o, "id", &id) ? json_object_get_string(id) : "";
			int idx = mm_find_card(s, sid);

			if (idx < 0) {
				mm_sb_printf(&b, "%s{\"id\":\"%s\"}", nfirst ? "" : ",", sid);
				nfirst = 0;
			}
		}
		mm_sb_printf(&nf, "],\"data\":[");
		mm_sb_printf(&b, "%s", nf.p);
		free(nf.p);
		for (size_t i = 0; i < n; i++) {
			json_object *o = json_object_array_get_idx(ids, i), *id;
			int idx = mm_find_card(s, json_object_object_get_ex(o, "id", &id) ? json_object_get_string(id) : "");
			mu_card c;

			if (idx < 0)
				continue;
			mu_card_get(s->seed, idx, &c);
			if (!first)
				mm_sb_printf(&b, ",");
			sf_card_json(&b, &c);
			r->rows += mu_card_lines(s->seed, &c, MU_MKT_SCRYFALL, NULL, NULL);
			first = 0;
		}
		mm_sb_printf(&b, "]}");
		json_object_put(req);
		json_reply(r, 200, &b);
		return;
	}
	if (strcmp(method, "GET") == 0 && strncmp(path, "/cards/", 7) == 0) {
		int idx = mm_find_card(s, path + 7);
		mm_sb b = { 0 };
		mu_card c;

		r->endpoint = 1;
		if (idx < 0) {
			sf_error(r, 404, "not_found", "No card found with the given ID or set code and collector number.");
			return;
		}
		mu_card_get(s->seed, idx, &c);
		sf_card_json(&b, &c);
		r->rows = mu_card_lines(s->seed, &c, MU_MKT_SCRYFALL, NULL, NULL);
		json_reply(r, 200, &b);
		return;
	}
	if (strcmp(path, "/bulk-data") == 0) {
		mm_sb b = { 0 };

		r->endpoint = 2;
		mm_sb_printf(&b,
			     "{\"object\":\"list\",\"has_more\":false,\"data\":[{\"object\":\"bulk_data\","
			     "\"id\":\"e2ef41e3-5778-4bc2-af3f-78eca4dd9c23\",\"type\":\"default_cards\","
			     "\"updated_at\":\"2026-11-28T10:00:00.000+00:00\",\"uri\":\"/scryfall/bulk-data/default-cards\","
			     "\"name\":\"Default Cards\",\"description\":\"Every card object on Scryfall in English or "
			     "the printed language if the card is only available in one language.\","
			     "\"jsonl_download_uri\":\"/scryfall/files/default-cards.jsonl.gz\",\"compressed_size\":0}]}");
		json_reply(r, 200, &b);
		return;
	}
	sf_error(r, 404, "not_found", "The requested endpoint does not exist.");
}

/* ---- CardTrader ------------------------------------------------------------ */

static int int_arg(mm_lookup arg, void *ud, const char *name)
{
	const char *v = arg(ud, name);

	return v != NULL ? atoi(v) : 0;
}

/* The listings of card idx's blueprint; returns the rows the host makes of them. */
static long ct_products_of(mm_state *s, mm_sb *b, int idx, int *first)
{
	mu_card c;
	mu_listing l[MU_MAX_LISTINGS];
	int n;
	char m[32];

	mu_card_get(s->seed, idx, &c);
	n = mu_listings(s->seed, &c, l);
	if (n == 0)
		return 0;
	mm_sb_printf(b, "%s\"%d\":[", *first ? "" : ",", (int)c.blueprint_id);
	*first = 0;
	for (int j = 0; j < n; j++)
		mm_sb_printf(b,
			     "%s{\"id\":%lld,\"blueprint_id\":%d,\"name_en\":\"%s\",\"quantity\":%d,\"description\":\"\","
			     "\"price_cents\":%lld,\"price_currency\":\"%s\",\"price\":{\"cents\":%lld,\"currency\":\"%s\","
			     "\"currency_symbol\":\"%s\",\"formatted\":\"%s%s\"},\"graded\":null,\"on_vacation\":false,"
			     "\"bundle_size\":1,\"properties_hash\":{\"condition\":\"%s\",\"mtg_language\":\"%s\","
			     "\"mtg_foil\":%s,\"signed\":false,\"altered\":false,\"collector_number\":\"%s\"},"
			     "\"expansion\":{\"id\":%d,\"code\":\"%s\",\"name_en\":\"Set %s\"},"
			     "\"user\":{\"id\":%d,\"username\":\"seller%d\",\"country_code\":\"IT\",\"user_type\":\"normal\","
			     "\"can_sell_via_hub\":true}}",
			     j ? "," : "", (long long)l[j].id, (int)c.blueprint_id, c.name, l[j].quantity,
			     (long long)l[j].cents, s->ct_currency, (long long)l[j].cents, s->ct_currency, "€",
			     "€", mu_money(l[j].cents, m), l[j].grade, l[j].lang, l[j].foil ? "true" : "false",
			     c.collector_number, (int)c.expansion_id, c.set_code, c.set_code, 1000 + j, 1000 + j);
	mm_sb_printf(b, "]");
	return mu_card_lines(s->seed, &c, MU_MKT_CARDTRADER, NULL, NULL);
}

static void cardtrader(mm_state *s, const char *path, mm_lookup arg, mm_lookup header, void *ud, mm_reply *r)
{
	const char *auth = header(ud, "Authorization");
	char want[256];
	int nsets = (s->ncards + MU_SET_SIZE - 1) / MU_SET_SIZE;
	mm_sb b = { 0 };

	snprintf(want, sizeof want, "Bearer %s", s->ct_token);
	if (auth == NULL || strcmp(auth, want) != 0) {
		text_reply(r, 401, "{\"error\":\"Unauthorized: invalid or missing token\"}");
		return;
	}
	if (strcmp(path, "/expansions") == 0) {
		r->endpoint = 0;
		mm_sb_printf(&b, "[");
		for (int e = 0; e < nsets; e++)
			mm_sb_printf(&b, "%s{\"id\":%d,\"game_id\":1,\"code\":\"s%02d\",\"name\":\"Set s%02d\"}",
				     e ? "," : "", 1000 + e, e, e);
		mm_sb_printf(&b, "]");
		json_reply(r, 200, &b);
		return;
	}
	if (strcmp(path, "/blueprints/export") == 0) {
		int e = int_arg(arg, ud, "expansion_id") - 1000;

		r->endpoint = 1;
		if (e < 0 || e >= nsets) {
			text_reply(r, 404, "{\"error_code\":\"not_found\",\"errors\":{},\"extra\":{\"message\":\"expansion not found\"}}");
			return;
		}
		mm_sb_printf(&b, "[");
		for (int i = e * MU_SET_SIZE; i < s->ncards && i < (e + 1) * MU_SET_SIZE; i++) {
			mu_card c;
			char tcg[16];

			mu_card_get(s->seed, i, &c);
			if (c.tcgplayer_id)
				snprintf(tcg, sizeof tcg, "%d", (int)c.tcgplayer_id);
			else
				snprintf(tcg, sizeof tcg, "null");
			mm_sb_printf(&b,
				     "%s{\"id\":%d,\"name\":\"%s\",\"version\":null,\"game_id\":1,\"category_id\":1,"
				     "\"expansion_id\":%d,\"scryfall_id\":\"%s\",\"tcg_player_id\":%s,"
				     "\"card_market_ids\":[%d],\"fixed_properties\":{\"collector_number\":\"%s\"}}",
				     i > e * MU_SET_SIZE ? "," : "", (int)c.blueprint_id, c.name, (int)c.expansion_id,
				     i % 17 == 5 ? "" : c.scryfall_id, tcg, (int)c.cardmarket_id,
				     c.collector_number);
		}
		mm_sb_printf(&b, "]");
		json_reply(r, 200, &b);
		return;
	}
	if (strcmp(path, "/marketplace/products") == 0) {
		int e = int_arg(arg, ud, "expansion_id") - 1000, bp = int_arg(arg, ud, "blueprint_id") - 100000;
		int first = 1;

		r->endpoint = 2;
		if (arg(ud, "expansion_id") == NULL && arg(ud, "blueprint_id") == NULL) {
			text_reply(r, 422, "{\"error_code\":\"validation_error\",\"errors\":{\"expansion_id\":[\"one of expansion_id or blueprint_id is required\"]}}");
			return;
		}
		mm_sb_printf(&b, "{");
		if (arg(ud, "blueprint_id") != NULL) {
			if (bp >= 0 && bp < s->ncards)
				r->rows += ct_products_of(s, &b, bp, &first);
		} else {
			for (int i = e * MU_SET_SIZE; e >= 0 && i < s->ncards && i < (e + 1) * MU_SET_SIZE; i++)
				r->rows += ct_products_of(s, &b, i, &first);
		}
		mm_sb_printf(&b, "}");
		json_reply(r, 200, &b);
		return;
	}
	text_reply(r, 404, "{\"error\":\"not found\"}");
}

/* ---- TCGplayer --------------------------------------------------------------- */

static void tcgplayer(mm_state *s, const char *method, const char *path, const char *body, mm_lookup header,
		      void *ud, mm_reply *r)
{
	mm_sb b = { 0 };

	if (strcmp(method, "POST") == 0 && strcmp(path, "/token") == 0) {
		char want[512];

		r->endpoint = 0;
		snprintf(want, sizeof want, "grant_type=client_credentials&client_id=%s&client_secret=%s", s->tp_public,
			 s->tp_private);
		if (body == NULL || strcmp(body, want) != 0) {
			text_reply(r, 401, "{\"error\":\"invalid_client\"}");
			return;
		}
		mm_sb_printf(&b,
			     "{\"access_token\":\"%s\",\"token_type\":\"bearer\",\"expires_in\":%ld,"
			     "\"userName\":\"%s\",\".issued\":\"Sat, 28 Nov 2026 10:00:00 GMT\","
			     "\".expires\":\"Sat, 12 Dec 2026 10:00:00 GMT\"}",
			     s->tp_token, s->tp_expires_in, s->tp_public);
		json_reply(r, 200, &b);
		return;
	}
	{
		const char *p = strstr(path, "/pricing/product/"), *auth = header(ud, "Authorization");
		char want[128];
		int n = 0, first = 1;

		if (p == NULL) {
			text_reply(r, 404, "{\"success\":false,\"errors\":[\"Not found\"],\"results\":[]}");
			return;
		}
		r->endpoint = 1;
		snprintf(want, sizeof want, "bearer %s", s->tp_token);
		if (auth == NULL || strcasecmp(auth, want) != 0) {
			text_reply(r, 401, "{\"message\":\"Authorization has been denied for this request.\"}");
			return;
		}
		p += strlen("/pricing/product/");
		for (const char *q = p; *q; q++)
			n += *q == ',';
		if (n + 1 > 250) {
			text_reply(r, 400, "{\"success\":false,\"errors\":[\"Too many ids: at most 250\"],\"results\":[]}");
			return;
		}
		mm_sb_printf(&b, "{\"success\":true,\"errors\":[],\"results\":[");
		for (const char *q = p; *q;) {
			long id = strtol(q, NULL, 10);
			int idx = id >= 900000 ? (int)(id - 900000) : (int)(id - 200000);

			if (idx >= 0 && idx < s->ncards) {
				mu_card c;
				mu_tcg_row rows[3];
				int k;

				mu_card_get(s->seed, idx, &c);
				k = mu_tcg_rows(s->seed, &c, rows);
				for (int j = 0; j < k; j++) {
					if (rows[j].product_id != id)
						continue;
					mm_sb_printf(&b, "%s{\"productId\":%d,\"lowPrice\":", first ? "" : ",",
						     (int)rows[j].product_id);
					mm_sb_money_or_null(&b, rows[j].low, 0);
					mm_sb_printf(&b, ",\"midPrice\":");
					mm_sb_money_or_null(&b, rows[j].mid, 0);
					mm_sb_printf(&b, ",\"highPrice\":");
					mm_sb_money_or_null(&b, rows[j].high, 0);
					mm_sb_printf(&b, ",\"marketPrice\":");
					mm_sb_money_or_null(&b, rows[j].market, 0);
					mm_sb_printf(&b, ",\"directLowPrice\":");
					mm_sb_money_or_null(&b, rows[j].direct_low, 0);
					mm_sb_printf(&b, ",\"subTypeName\":\"%s\"}", rows[j].sub_type);
					first = 0;
					r->rows += mu_tcg_price(&rows[j]) >= 0;
				}
			}
			q = strchr(q, ',');
			if (q == NULL)
				break;
			q++;
		}
		mm_sb_printf(&b, "]}");
		if (first) {
			free(b.p);
			text_reply(r, 404, "{\"success\":false,\"errors\":[\"No products were found.\"],\"results\":[]}");
			return;
		}
		json_reply(r, 200, &b);
	}
}

/* ---- Mana Pool ---------------------------------------------------------------- */

static void mp_row(mm_sb *b, const mu_card *c, const char *sid, const mu_mp_row *m, int first)
{
	static const char *const suffix[3] = { "", "_foil", "_etched" };

	mm_sb_printf(b,
		     "%s{\"url\":\"https://manapool.com/card/%s/%s\",\"name\":\"%s\",\"set_code\":\"%c%c%c\","
		     "\"number\":\"%s\",\"multiverse_id\":null,\"scryfall_id\":\"%s\",\"available_quantity\":%d",
		     first ? "" : ",", c->set_code, c->collector_number, c->name, c->set_code[0] - 32, c->set_code[1],
		     c->set_code[2], c->collector_number, sid, (int)m->quantity);
	for (int f = 0; f < 3; f++) {
		mm_sb_printf(b, ",\"price_cents%s\":", suffix[f]);
		mm_sb_printf(b, m->any[f] < 0 ? "null" : "%lld", (long long)m->any[f]);
		mm_sb_printf(b, ",\"price_cents_lp_plus%s\":", suffix[f]);
		mm_sb_printf(b, m->lp[f] < 0 ? "null" : "%lld", (long long)m->lp[f]);
		mm_sb_printf(b, ",\"price_cents_nm%s\":", suffix[f]);
		mm_sb_printf(b, m->nm[f] < 0 ? "null" : "%lld", (long long)m->nm[f]);
	}
	mm_sb_printf(b, "}");
}

static void manapool(mm_state *s, const char *path, mm_reply *r)
{
	mm_sb b = { 0 };
	int strangers = s->ncards / 50 + 1;

	if (strcmp(path, "/prices/singles") != 0) {
		text_reply(r, 404, "{\"status\":404,\"message\":\"Not Found\",\"details\":[]}");
		return;
	}
	r->endpoint = 0;
	mm_sb_printf(&b, "{\"meta\":{\"as_of\":\"2026-11-28T10:00:00Z\"},\"data\":[");
	for (int i = 0; i < s->ncards; i++) {
		mu_card c;
		mu_mp_row m;

		mu_card_get(s->seed, i, &c);
		mu_mp_row_get(s->seed, &c, &m);
		if (m.nm[0] < 0 && m.nm[1] < 0 && m.nm[2] < 0)
			continue; /* nothing in stock */
		mp_row(&b, &c, c.scryfall_id, &m, b.p[b.len - 1] == '[');
		r->rows += mu_card_lines(s->seed, &c, MU_MKT_MANAPOOL, NULL, NULL);
	}
	for (int j = 0; j < strangers; j++) {
		mu_card c;
		mu_mp_row m;
		char sid[37];

		/* printings this universe does not have: the ingester counts them unmatched */
		mu_card_get(s->seed, j, &c);
		mu_mp_row_get(s->seed, &c, &m);
		mu_stranger_id(s->seed, j, sid);
		mp_row(&b, &c, sid, &m, b.p[b.len - 1] == '[');
		r->rows_unknown += mu_card_lines(s->seed, &c, MU_MKT_MANAPOOL, NULL, NULL);
	}
	mm_sb_printf(&b, "]}");
	json_reply(r, 200, &b);
}

void mm_handle(mm_state *s, int mkt, const char *method, const char *path, const char *body, size_t body_len,
	       mm_lookup arg, mm_lookup header, void *ud, mm_reply *r)
{
	r->endpoint = -1;
	r->retry_after = -1;
	r->rows = r->rows_unknown = 0;
	switch (mkt) {
	case MM_SCRYFALL: scryfall(s, method, path, body, body_len, header, ud, r); break;
	case MM_CARDTRADER: cardtrader(s, path, arg, header, ud, r); break;
	case MM_TCGPLAYER: tcgplayer(s, method, path, body, header, ud, r); break;
	default: manapool(s, path, r); break;
	}
}
