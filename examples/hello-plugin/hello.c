/*
 * hello -- the smallest ingesthost plugin, built out of tree against the
 * installed header only:
 *
 *   cc -shared -fPIC $(pkg-config --cflags ingesthost-plugin) -o hello.so hello.c
 *   cp hello.so $(pkg-config --variable=plugindir ingesthost-plugin)/
 *   ingesthost --list-plugins
 */
#include <ingesthost/plugin.h>

static const ih_host_services *host;

static int hello_init(const ih_host_services *services, ih_ctx *ctx, void **state)
{
	host = services;
	*state = NULL;
	host->log(ctx, IH_LOG_INFO, "hello plugin ready (host ABI %u.%u)", services->abi_major,
		  services->abi_minor);
	return IH_OK;
}

/* Prices nothing: says how many cards it was given. */
static int hello_collect(void *state, ih_ctx *ctx, const ih_card *cards, size_t n)
{
	(void)state;
	(void)cards;
	host->log(ctx, IH_LOG_INFO, "asked for %zu cards", n);
	return IH_OK;
}

static const ih_config_key hello_keys[] = {
	{ "greeting", IH_CFG_STRING, "hello", 1, 0, 0, 0, "what to say" },
	{ NULL, IH_CFG_END, NULL, 0, 0, 0, 0, NULL },
};

IH_PLUGIN_EXPORT const ih_plugin_descriptor ingesthost_plugin = {
	IH_PLUGIN_DESCRIPTOR_HEAD,
	.name = "hello",
	.version = "1.0.0",
	.marketplace = "hello",
	.currency = "USD",
	.description = "example out-of-tree plugin",
	.fetch_mode = IH_FETCH_CARD_LIST,
	.init = hello_init,
	.collect = hello_collect,
	.config_keys = hello_keys,
};
