/*
 * abi_test -- ABI 1.2 against what came before: the layout of the fields
 * that were enums, 1.0 and 1.1 plugins still loading, IH_PLUGIN_EXPORT under
 * -fvisibility=hidden, and the checks never reading past the size a
 * descriptor declares (a guard page right after it).
 */
#include "config.h"

#include <sys/mman.h>

#include "fixtures.h"
#include "loader/plugin_loader.h"
#include "testutil.h"

/* The 1.1 declarations of the structs whose enum fields became int32_t. */
typedef struct {
	uint32_t magic;
	uint16_t abi_major, abi_minor;
	uint32_t size;
	const char *name, *version, *marketplace, *currency, *description;
	ih_fetch_mode fetch_mode;
	int (*init)(const ih_host_services *, ih_ctx *, void **);
	int (*collect)(void *, ih_ctx *, const ih_card *, size_t);
	void (*shutdown)(void *);
	const ih_config_key *config_keys;
	const char *default_base_url;
	double default_requests_per_second;
	long default_freshness;
	size_t max_batch;
} desc_1_1;
typedef struct {
	const char *name;
	ih_config_type type;
	const char *default_value;
	double min, max;
	int secret, required;
	const char *help;
} key_1_1;
typedef struct {
	ih_http_method method;
	const char *url, *content_type, *body;
	const char *const *headers;
	int no_retry;
} req_1_1;

#define SAME(a, b, f) (offsetof(a, f) == offsetof(b, f) && sizeof(((a *)0)->f) == sizeof(((b *)0)->f))

static void test_layout_unchanged(void)
{
	CU_ASSERT_EQUAL(sizeof(ih_plugin_descriptor), sizeof(desc_1_1));
	CU_ASSERT(SAME(ih_plugin_descriptor, desc_1_1, fetch_mode));
	CU_ASSERT(SAME(ih_plugin_descriptor, desc_1_1, init));
	CU_ASSERT(SAME(ih_plugin_descriptor, desc_1_1, max_batch));
	CU_ASSERT_EQUAL(IH_PLUGIN_DESCRIPTOR_SIZE_1_0, sizeof(desc_1_1));
	CU_ASSERT_EQUAL(sizeof(ih_config_key), sizeof(key_1_1));
	CU_ASSERT(SAME(ih_config_key, key_1_1, type));
	CU_ASSERT(SAME(ih_config_key, key_1_1, default_value));
	CU_ASSERT_EQUAL(sizeof(ih_http_request), sizeof(req_1_1));
	CU_ASSERT(SAME(ih_http_request, req_1_1, method));
	CU_ASSERT(SAME(ih_http_request, req_1_1, url));
	/* the services table grows into reserved[]: its size is the major's */
	CU_ASSERT_EQUAL(offsetof(ih_host_services, reserved) + sizeof(((ih_host_services *)0)->reserved),
			sizeof(ih_host_services));
}

static const ih_plugin_info *find(const ih_plugin_list *l, const char *file)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *base = strrchr(l->v[i].path, '/');

		if (base != NULL && strncmp(base + 1, file, strlen(file)) == 0 && base[1 + strlen(file)] == '.')
			return &l->v[i];
	}
	return NULL;
}

static void test_old_minors_and_export(void)
{
	static const char *const names[] = { "older_minor", "abi_1_1", "good", "hidden_export", "hidden_noexport",
					     NULL };
	ih_plugin_list l;
	const ih_plugin_info *r;
	char err[512], *dir = ih_fixture_dir(names);

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	CU_ASSERT_EQUAL_FATAL(ih_plugins_scan(dir, NULL, &l, err, sizeof err), 0);
	CU_ASSERT_EQUAL(l.n, 5);
	r = find(&l, "older_minor");
	CU_ASSERT(r != NULL && r->state == IH_PS_OK && r->abi_minor == 0);
	r = find(&l, "abi_1_1");
	CU_ASSERT(r != NULL && r->state == IH_PS_OK && r->abi_minor == 1 && r->fetch_mode == IH_FETCH_CARD_LIST);
	r = find(&l, "good");
	CU_ASSERT(r != NULL && r->state == IH_PS_OK && r->abi_minor == IH_ABI_MINOR);
	r = find(&l, "hidden_export");
	CU_ASSERT(r != NULL && r->state == IH_PS_OK);
	r = find(&l, "hidden_noexport");
	CU_ASSERT(r != NULL && r->state == IH_PS_INVALID && r->reason != NULL &&
		  strstr(r->reason, "missing descriptor symbol") != NULL);
	ih_plugin_list_free(&l);
	ih_fixture_dir_remove(dir);
}

static void test_open_1_1(void)
{
	ih_plugin_handle *h = NULL;
	char err[512];

	CU_ASSERT_EQUAL_FATAL(ih_plugin_open(IH_TOP_BUILDDIR "/tests/plugins/.libs/abi_1_1.so", &h, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(h->info.name, "abi-1-1");
	CU_ASSERT_EQUAL(h->desc->abi_minor, 1);
	ih_plugin_close(h);
}

static int fixture_collect(void *state, ih_ctx *ctx, const ih_card *cards, size_t n)
{
	(void)state, (void)ctx, (void)cards, (void)n;
	return IH_OK;
}

/* A descriptor of `size` bytes copied to the very end of a readable page,
 * a PROT_NONE page right behind it: a read past `size` is a SIGSEGV. */
static void check_at_page_end(const ih_plugin_descriptor *d, size_t size, ih_plugin_info *info)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *m = mmap(NULL, 2 * (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *at;

	CU_ASSERT_FATAL(m != MAP_FAILED);
	CU_ASSERT_FATAL(mprotect(m + pg, (size_t)pg, PROT_NONE) == 0);
	/* keep the copy aligned for the struct (size is a multiple of 8 here) */
	at = m + pg - size;
	memcpy(at, d, size);
	ih_plugin_check(at, info);
	munmap(m, 2 * (size_t)pg);
}

static void test_never_reads_past_size(void)
{
	ih_plugin_descriptor d = { IH_PLUGIN_DESCRIPTOR_HEAD, .name = "guarded", .version = "1", .marketplace = "guarded",
				   .currency = "USD", .collect = fixture_collect };
	ih_plugin_info info;

	memset(&info, 0, sizeof info);
	d.abi_minor = 0;
	d.size = IH_PLUGIN_DESCRIPTOR_SIZE_1_0;
	check_at_page_end(&d, IH_PLUGIN_DESCRIPTOR_SIZE_1_0, &info);
	CU_ASSERT_EQUAL(info.state, IH_PS_OK);
	ih_plugin_info_clear(&info);
	d.size = 16;
	check_at_page_end(&d, 16, &info);
	CU_ASSERT_EQUAL(info.state, IH_PS_INVALID);
	CU_ASSERT(info.reason != NULL && strstr(info.reason, "declares 16 bytes") != NULL);
	ih_plugin_info_clear(&info);
	/* the accessor for fields past 1.0 looks at the declared size */
	d.size = (uint32_t)offsetof(ih_plugin_descriptor, max_batch);
	CU_ASSERT_FALSE(IH_DESCRIPTOR_HAS(&d, max_batch));
	CU_ASSERT_EQUAL(IH_DESCRIPTOR_GET(&d, max_batch, (size_t)7), 7);
	d.size = IH_PLUGIN_DESCRIPTOR_SIZE_1_0;
	d.max_batch = 50;
	CU_ASSERT_TRUE(IH_DESCRIPTOR_HAS(&d, max_batch));
	CU_ASSERT_EQUAL(IH_DESCRIPTOR_GET(&d, max_batch, (size_t)7), 50);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		{ "1.2 keeps the 1.1 layout", test_layout_unchanged },
		{ "1.0 and 1.1 plugins load; IH_PLUGIN_EXPORT under hidden visibility", test_old_minors_and_export },
		{ "a 1.1 plugin opens in the host", test_open_1_1 },
		{ "checks never read past the declared size", test_never_reads_past_size },
		CU_TEST_INFO_NULL,
	};
	static CU_SuiteInfo suites[] = {
		{ "abi", NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};
	return ih_test_main(suites);
}
