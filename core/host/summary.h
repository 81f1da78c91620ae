/*
 * summary -- a cycle's per-plugin results as the --once table, the --json
 * object, or one log line (the daemon).  Above dispatch.
 */
#ifndef IH_SUMMARY_H
#define IH_SUMMARY_H

#include <stdio.h>
#include "host/dispatch.h"

void ih_cycle_print_table(const ih_cycle *c, FILE *f);
void ih_cycle_print_json(const ih_cycle *c, FILE *f);
void ih_cycle_log(const ih_cycle *c);

#endif
