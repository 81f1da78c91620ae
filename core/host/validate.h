/*
 * validate -- the check every emitted snapshot passes before it is
 * buffered.  Depends on the plugin ABI only.
 */
#ifndef IH_VALIDATE_H
#define IH_VALIDATE_H

#include <stddef.h>
#include "ingesthost/plugin.h"

/*
 * Check one snapshot's vocabulary (condition, finish, currency, language)
 * and money (non-negative decimals that fit numeric(12,2)), and that it
 * names a card.  Returns 0, or -1 with the reason in why.  Any thread.
 */
int ih_snapshot_validate(const ih_snapshot *s, char *why, size_t len);

#endif
