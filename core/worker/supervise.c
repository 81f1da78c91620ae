/*
 * supervise -- the host's side of a worker: spawn it, send the job, replay
 * its frames into the run's services, stop it at the run's stop (SIGTERM,
 * then SIGKILL stop_wait/2 later), reap it and say how it ended.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/conf.h"
#include "base/log.h"
#include "host/host_services.h"
#include "host/run.h"
#include "worker/wire.h"
#include "worker/worker.h"

extern char **environ;

#define CARDS_PER_FRAME 2000
#define POLL_MS 200
/* after EOF, or after SIGKILL, how long a worker may take to be reaped */
#define REAP_SECONDS 5.0

/* NULL until set: a program embedding the host must name the binary, or
 * /proc/self/exe would be itself */
static const char *worker_exe;

void ih_worker_set_exe(const char *path)
{
	worker_exe = path;
}

/* ---- the job ------------------------------------------------------------------ */

void ih_worker_job(ih_wbuf *b, const char *path, const char *name, const ih_config *cfg, long long memory_limit_mb)
{
	const ih_plugin_section *sec = ih_config_section(cfg, name);
	size_t at = ih_w_begin(b, IH_W_JOB);

	ih_w_u32(b, IH_WIRE_VERSION);
	ih_w_str(b, path);
	ih_w_str(b, name);
	ih_w_i32(b, ih_log_get_level());
	ih_w_i64(b, cfg->ingest.max_retries);
	ih_w_i64(b, cfg->ingest.max_wait);
	ih_w_i64(b, cfg->ingest.max_response_bytes);
	ih_w_i64(b, cfg->ingest.freshness); /* a plugin's freshness defaults to it */
	ih_w_i64(b, memory_limit_mb);
	ih_w_u32(b, sec != NULL ? (uint32_t)sec->n : 0);
	for (size_t i = 0; sec != NULL && i < sec->n; i++) {
		const ih_cfg_value *v = &sec->vals[i];

		ih_w_str(b, v->key);
		ih_w_i32(b, (int32_t)v->type);
		ih_w_str(b, v->s);
		ih_w_i64(b, v->i);
		ih_w_f64(b, v->d);
		ih_w_i32(b, v->line);
	}
	ih_w_end(b, at);
}

static void put_cards(ih_wbuf *b, const ih_card *cards, size_t n)
{
	for (size_t i = 0; i < n; i += CARDS_PER_FRAME) {
		size_t k = n - i < CARDS_PER_FRAME ? n - i : CARDS_PER_FRAME;
		size_t at = ih_w_begin(b, IH_W_CARDS);

		ih_w_u32(b, (uint32_t)k);
		for (size_t j = i; j < i + k; j++) {
			const ih_card *c = &cards[j];

			ih_w_i32(b, c->card_id);
			ih_w_str(b, c->scryfall_id);
			ih_w_str(b, c->name);
			ih_w_str(b, c->set_code);
			ih_w_str(b, c->collector_number);
			ih_w_str(b, c->lang);
			ih_w_i32(b, c->tcgplayer_id);
			ih_w_i32(b, c->tcgplayer_etched_id);
			ih_w_i32(b, c->cardmarket_id);
			ih_w_i32(b, c->cardtrader_blueprint_id);
			ih_w_i32(b, c->mtgo_id);
		}
		ih_w_end(b, at);
	}
	ih_w_end(b, ih_w_begin(b, IH_W_GO));
}

/* ---- spawning ----------------------------------------------------------------- */

/* A socketpair whose child end is at 10 or above (so dup2 onto 3 and 4 can
 * neither clobber it nor be a no-op that keeps close-on-exec). */
static int pair(int *host_end, int *child_end, char *err, size_t errlen)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	*child_end = fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
	close(sv[1]);
	if (*child_end < 0) {
		snprintf(err, errlen, "fcntl: %s", strerror(errno));
		close(sv[0]);
		return -1;
	}
	*host_end = sv[0];
	return 0;
}

/* The worker, its channel on fd 3 and its heartbeat on fd 4. */
static pid_t spawn(int *fd, int *beat, char *err, size_t errlen)
{
	int child, child_beat;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, deflt;
	char parent[24];
	char *argv[4];
	pid_t pid = -1;
	int e;

	if (worker_exe == NULL) {
		snprintf(err, errlen, "no worker executable: this program embeds the host without ih_worker_set_exe()");
		return -1;
	}
	if (pair(fd, &child, err, errlen) != 0)
		return -1;
	if (pair(beat, &child_beat, err, errlen) != 0) {
		close(*fd);
		close(child);
		return -1;
	}
	snprintf(parent, sizeof parent, "%ld", (long)getpid());
	argv[0] = (char *)"ingesthost-worker";
	argv[1] = (char *)"--plugin-worker";
	argv[2] = parent;
	argv[3] = NULL;
	sigemptyset(&none);
	sigemptyset(&deflt);
	sigaddset(&deflt, SIGTERM);
	sigaddset(&deflt, SIGINT);
	sigaddset(&deflt, SIGHUP);
	sigaddset(&deflt, SIGPIPE);
	sigaddset(&deflt, SIGUSR2);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 2, 1); /* a plugin's printf must not reach the summary */
	posix_spawn_file_actions_adddup2(&fa, child, 3);
	posix_spawn_file_actions_adddup2(&fa, child_beat, 4);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &deflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	e = posix_spawn(&pid, worker_exe, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(child);
	close(child_beat);
	if (e != 0) {
		snprintf(err, errlen, "cannot start a worker (%s): %s", worker_exe, strerror(e));
		close(*fd);
		close(*beat);
		return -1;
	}
	return pid;
}

/* Read what heartbeats came (never blocks); 1 if any, -1 when its end closed. */
static int beats(int fd)
{
	char b[64];
	int any = 0;

	for (;;) {
		ssize_t k = recv(fd, b, sizeof b, MSG_DONTWAIT);

		if (k > 0) {
			any = 1;
			continue;
		}
		if (k == 0)
			return any ? 1 : -1;
		if (errno == EINTR)
			continue;
		return any;
	}
}

/* ---- replaying a worker's frames -------------------------------------------- */

typedef struct sup {
	ih_run *r;
	const ih_host_services *svc;
	int fd, beat;
	pid_t pid;
	long rows;        /* snapshots received */
	int aborted;      /* ABORT sent */
	int done, done_rc;
	char done_err[512];
	char bad[128];    /* why a frame was refused */
} sup;

static void fold(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20)
			*s = ' ';
}

static int on_snaps(sup *s, ih_wread *b)
{
	uint32_t n = ih_r_u32(b);

	/* each row is at least 8 bytes of numbers and 9 four-byte lengths */
	if (b->bad || n > (size_t)(b->end - b->p) / 44) {
		snprintf(s->bad, sizeof s->bad, "a SNAPS frame of %u rows does not fit its length", (unsigned)n);
		return -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		ih_snapshot snap;
		int rc;

		snap.card_id = ih_r_i32(b);
		snap.num_listings = ih_r_i32(b);
		snap.scryfall_id = ih_r_str(b);
		snap.condition = ih_r_str(b);
		snap.finish = ih_r_str(b);
		snap.language = ih_r_str(b);
		snap.currency = ih_r_str(b);
		snap.price = ih_r_str(b);
		snap.price_low = ih_r_str(b);
		snap.price_mid = ih_r_str(b);
		snap.price_high = ih_r_str(b);
		if (b->bad) {
			snprintf(s->bad, sizeof s->bad, "row %u of a SNAPS frame is cut short", (unsigned)i);
			return -1;
		}
		s->rows++;
		rc = s->svc->emit(&s->r->ctx, &snap);
		if (rc < 0 && rc != IH_ERR_FATAL && !s->aborted) {
			/* the host cannot store more: the worker's emit returns rc */
			ih_wbuf a = { 0 };
			size_t at = ih_w_begin(&a, IH_W_ABORT);

			ih_w_i32(&a, rc);
			ih_w_end(&a, at);
			if (send(s->fd, a.p, a.len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
				kill(s->pid, SIGTERM);
			ih_wbuf_free(&a);
			s->aborted = 1;
		}
	}
	return 0;
}

static int on_frame(sup *s, uint32_t type, ih_wread *b)
{
	ih_run *r = s->r;

	switch (type) {
	case IH_W_LOG: {
		int level = ih_r_i32(b);
		const char *m = ih_r_str(b);
		char line[2048];

		if (b->bad || m == NULL)
			break;
		snprintf(line, sizeof line, "%s", m);
		fold(line);
		level = level < IH_LOG_ERR ? IH_LOG_ERR : level > IH_LOG_DEBUG ? IH_LOG_DEBUG : level;
		ih_log(level, "%s", line);
		return 0;
	}
	case IH_W_SNAPS:
		return on_snaps(s, b);
	case IH_W_MARKS: {
		uint32_t n = ih_r_u32(b);

		if (b->bad || n > (size_t)(b->end - b->p) / 4)
			break;
		for (uint32_t i = 0; i < n; i++)
			s->svc->mark_done(&r->ctx, ih_r_i32(b));
		return 0;
	}
	case IH_W_BLUEPRINTS: {
		uint32_t n = ih_r_u32(b);

		if (b->bad || n > (size_t)(b->end - b->p) / 8)
			break;
		for (uint32_t i = 0; i < n; i++) {
			int32_t card = ih_r_i32(b), bp = ih_r_i32(b);

			s->svc->set_blueprint_id(&r->ctx, card, bp);
		}
		return 0;
	}
	case IH_W_STATS: {
		int64_t v[5];

		for (int i = 0; i < 5; i++) {
			v[i] = ih_r_i64(b);
			if (v[i] < 0)
				v[i] = 0;
		}
		if (b->bad)
			break;
		pthread_mutex_lock(&r->mu);
		r->w_requests = (long)v[0];
		r->w_retries = (long)v[1];
		r->not_found = (long)v[2];
		r->plugin_rejected = (long)v[3];
		r->plugin_unmatched = (long)v[4];
		pthread_mutex_unlock(&r->mu);
		return 0;
	}
	case IH_W_DONE: {
		int rc = ih_r_i32(b);
		const char *e = ih_r_str(b);

		if (b->bad)
			break;
		s->done = 1;
		s->done_rc = rc > 0 || rc < IH_ERR_STOPPED ? IH_ERR_FATAL : rc;
		snprintf(s->done_err, sizeof s->done_err, "%s", e != NULL ? e : "");
		fold(s->done_err);
		return 0;
	}
	default:
		snprintf(s->bad, sizeof s->bad, "an unknown frame type %u", (unsigned)type);
		return -1;
	}
	if (!s->bad[0])
		snprintf(s->bad, sizeof s->bad, "a malformed frame of type %u", (unsigned)type);
	return -1;
}

/* Wait for the worker's exit, at most `seconds`, then kill it; its status. */
static int reap(pid_t pid, double seconds, int *killed_late)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	int st = 0;
	pid_t w;

	for (double waited = 0; waited < seconds; waited += 0.01) {
		w = waitpid(pid, &st, WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			return st;
		nanosleep(&nap, NULL);
	}
	kill(pid, SIGKILL);
	*killed_late = 1;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

static double now_of(const ih_run *r)
{
	return ih_clock_now(r->clock);
}

int ih_worker_collect(ih_run *r, const ih_card *cards, size_t n)
{
	sup s;
	ih_wire_reader rd;
	ih_wbuf job = { 0 };
	char err[512];
	int term_sent = 0, killed = 0, late = 0, st, eof = 0;
	double kill_at = 0, gone_by = 0, last_beat, frozen = 0;
	struct timeval tmo = { 10, 0 };

	memset(&s, 0, sizeof s);
	s.r = r;
	s.svc = ih_host_services_table();
	s.pid = spawn(&s.fd, &s.beat, err, sizeof err);
	if (s.pid < 0) {
		snprintf(r->last_error, sizeof r->last_error, "%s", err);
		ih_err("%s", err);
		return IH_ERR_FATAL;
	}
	pthread_mutex_lock(&r->mu);
	r->worker_pid = s.pid;
	pthread_mutex_unlock(&r->mu);
	ih_debug("worker pid %ld started for %zu cards", (long)s.pid, n);
	/* the job: a worker that stops reading it fails the send within 10 s */
	setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof tmo);
	ih_w_append(&job, r->job.p, r->job.len);
	put_cards(&job, cards, n);
	if (ih_wire_send(s.fd, &job) != 0)
		ih_debug("the job did not reach the worker (%s): it is reaped below", strerror(errno));
	ih_wbuf_free(&job);

	ih_wire_reader_init(&rd, s.fd, IH_WIRE_MAX_WORKER_FRAME);
	last_beat = now_of(r);
	for (;;) {
		uint32_t type;
		ih_wread body;
		double now = now_of(r);
		int rc;

		/* a worker frozen whole (stopped, deadlocked, swapped out) sends no
		 * heartbeat: it is killed long before the deadline would */
		if (beats(s.beat) > 0)
			last_beat = now;
		if (!killed && !frozen && now - last_beat > r->set.heartbeat_timeout) {
			ih_err("worker pid %ld sent no heartbeat for %.0f s (plugins.%s.heartbeat_timeout): killing it",
			       (long)s.pid, now - last_beat, r->inst->name);
			kill(s.pid, SIGKILL);
			frozen = now - last_beat;
			killed = 2;
			gone_by = now + REAP_SECONDS;
		}

		if (!term_sent && (r->stop || r->host->stop)) {
			double at = r->stop ? r->stop_at : now;

			kill(s.pid, SIGTERM); /* its should_stop and next request see it */
			term_sent = 1;
			kill_at = at + r->set.stop_wait / 2;
		}
		if (term_sent && !killed && now >= kill_at) {
			/* SIGUSR2 first: its handler sends the rows it holds, then exits */
			ih_warn("worker pid %ld did not stop within %.0f s of being told: killing it", (long)s.pid,
				r->set.stop_wait / 2);
			kill(s.pid, SIGUSR2);
			killed = 1;
			kill_at = now + 1.0;
			gone_by = now + REAP_SECONDS;
		}
		if (killed == 1 && now >= kill_at) {
			kill(s.pid, SIGKILL);
			killed = 2;
		}
		if (killed == 2 && now >= gone_by)
			break; /* killed, yet its socket stays open (a child of its own holds it) */
		rc = ih_wire_next(&rd, &type, &body, POLL_MS);
		if (rc == 0)
			continue;
		if (rc == -1) {
			eof = 1;
			break;
		}
		if (rc == -2 || on_frame(&s, type, &body) != 0) {
			if (rc == -2)
				snprintf(s.bad, sizeof s.bad, "a frame longer than %u bytes or a read error",
					 IH_WIRE_MAX_WORKER_FRAME);
			ih_err("worker pid %ld sent %s: killing it", (long)s.pid, s.bad);
			kill(s.pid, SIGKILL);
			break;
		}
	}
	ih_wire_reader_free(&rd);
	close(s.fd);
	close(s.beat);
	st = reap(s.pid, eof ? REAP_SECONDS : 0.5, &late);
	pthread_mutex_lock(&r->mu);
	r->worker_pid = 0;
	pthread_mutex_unlock(&r->mu);

	if (s.bad[0]) {
		r->crashed = 1;
		snprintf(r->last_error, sizeof r->last_error, "worker sent %s and was killed", s.bad);
		return IH_ERR_FATAL;
	}
	if (frozen > 0) {
		r->crashed = 1;
		snprintf(r->last_error, sizeof r->last_error,
			 "worker stopped answering: no heartbeat for %.0f s (plugins.%s.heartbeat_timeout); killed", frozen,
			 r->inst->name);
		return IH_ERR_FATAL;
	}
	if (killed) {
		r->killed = 1;
		snprintf(r->last_error, sizeof r->last_error,
			 "worker killed: it did not stop within %.0f s of being told (half of ingest.stop_wait)",
			 r->set.stop_wait / 2);
		return IH_ERR_STOPPED;
	}
	if (WIFSIGNALED(st) && !late) {
		int sig = WTERMSIG(st);

		r->crashed = 1;
		snprintf(r->last_error, sizeof r->last_error, "worker killed by signal %d (%s)%s", sig, strsignal(sig),
			 WCOREDUMP(st) ? ", core dumped" : "");
		ih_err("worker pid %ld killed by signal %d (%s)%s; the %ld rows it sent are kept%s", (long)s.pid, sig,
		       strsignal(sig), WCOREDUMP(st) ? ", core dumped" : "", s.rows,
		       WCOREDUMP(st) ? "" : "; to keep a core dump: ulimit -c unlimited, or LimitCORE=infinity in the "
					    "unit (core(5))");
		return IH_ERR_FATAL;
	}
	if (!s.done || late) {
		r->crashed = 1;
		if (late)
			snprintf(r->last_error, sizeof r->last_error,
				 "worker closed its channel and did not exit: killed");
		else
			snprintf(r->last_error, sizeof r->last_error, "worker exited with code %d before the run ended",
				 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		ih_err("%s; the %ld rows it sent are kept", r->last_error, s.rows);
		return IH_ERR_FATAL;
	}
	if (s.done_err[0])
		snprintf(r->last_error, sizeof r->last_error, "%s", s.done_err);
	return s.done_rc;
}
