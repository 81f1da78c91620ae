/*
 * worker -- process isolation: a plugin's collect in a child process of its
 * own, so that a crash (a signal, an exit, a loop past the deadline) ends
 * that run with status `crashed` or `timeout` and nothing else.
 *
 * One worker per run: the run's thread spawns `ingesthost --plugin-worker`
 * (posix_spawn of /proc/self/exe: safe in a threaded host, and always the
 * host's own binary), sends it the job (the plugin, its settings, the cards)
 * over a socketpair and replays what comes back -- snapshots, marks, counts,
 * blueprint ids, log lines -- into the same services a thread-mode plugin
 * calls, so validation, writes and cache marks are the host's, as in thread
 * mode.  The worker never sees the database or Redis.
 */
#ifndef IH_WORKER_H
#define IH_WORKER_H

#include <stddef.h>
#include "ingesthost/plugin.h"

struct ih_run;
struct ih_config;
struct ih_wbuf;

/* The executable started as the worker: ingesthost's main sets
 * "/proc/self/exe" (the running binary, even if replaced on disk since); a
 * program embedding the host (a test) names the ingesthost binary.  Unset,
 * process-mode runs fail (fatal).  Main thread, before runs; kept. */
void ih_worker_set_exe(const char *path);

/* Host side: the JOB frame for plugin `name` at `path`: its section of cfg,
 * the ingest settings its HTTP client reads, the log level.  Built when the
 * run starts (main thread), sent by the run's thread. */
void ih_worker_job(struct ih_wbuf *b, const char *path, const char *name, const struct ih_config *cfg,
		   long long memory_limit_mb);

/*
 * Host side: run r's plugin over cards[0..n) in a worker and replay its
 * calls into r's services; returns collect's status as the worker reported
 * it.  When the worker died, exited early or had to be killed, r->crashed
 * (died on its own) or r->killed is set and r->last_error says how.  On the
 * run's thread; returns within the stop bounds of the run.
 */
int ih_worker_collect(struct ih_run *r, const ih_card *cards, size_t n);

/* Worker side: `ingesthost --plugin-worker`: serve one job on fd 3.
 * Returns the process's exit code. */
int ih_worker_main(long parent);

#endif
