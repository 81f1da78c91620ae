/*
 * ih-silentproxy -- a TCP forwarder that can make its connections fall
 * silent, for the tests of database calls that must not wait forever.
 *
 *   ih-silentproxy --to HOST:PORT [--port P|0] [--port-file F]
 *
 * Listens on 127.0.0.1 (port 0: any free one), prints "port N" on stdout
 * (and writes N to F), and forwards every accepted connection to HOST:PORT
 * both ways, half-closes included.  SIGUSR1: every connection open at that
 * moment goes silent -- its sockets stay open, but nothing more is read from
 * or written to them in either direction, so the client sees a live socket
 * that never answers -- and "silenced N" is printed once done.  Connections
 * accepted later forward normally.
 * SIGTERM or SIGINT: exit 0.  One thread, poll().
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFSZ 65536

typedef struct dir {
	int from, to;
	char buf[BUFSZ];
	size_t len, off;
	int eof;  /* `from` reached EOF */
	int shut; /* `to` was half-closed after the EOF */
} dir;

typedef struct pair {
	int cfd, sfd; /* client side, server side */
	int silent;
	int dead;
	dir up, down; /* client -> server, server -> client */
} pair;

/* The handler sets the flags (checked after every poll: a signal sent
 * before data arrived is seen before that data is read) and wakes poll. */
static int g_sigpipe[2] = { -1, -1 };
static volatile sig_atomic_t g_silence, g_term;

static void on_signal(int sig)
{
	char ch = 'x';
	int saved = errno;

	if (sig == SIGUSR1)
		g_silence = 1;
	else
		g_term = 1;
	if (write(g_sigpipe[1], &ch, 1) < 0) {
		/* the pipe is full: poll wakes anyway */
	}
	errno = saved;
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int connect_to(const char *host, const char *port)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Move bytes along one direction as far as the sockets allow. */
static void pump(pair *p, dir *d, short rev_from, short rev_to)
{
	if ((rev_from & (POLLIN | POLLHUP | POLLERR)) && !d->eof && d->len == 0) {
		ssize_t n = read(d->from, d->buf, sizeof d->buf);

		if (n > 0) {
			d->len = (size_t)n;
			d->off = 0;
		} else if (n == 0) {
			d->eof = 1;
		} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			p->dead = 1;
			return;
		}
	}
	if (d->len > 0 && (rev_to & (POLLOUT | POLLERR | POLLHUP))) {
		ssize_t n = write(d->to, d->buf + d->off, d->len);

		if (n > 0) {
			d->off += (size_t)n;
			d->len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			p->dead = 1;
			return;
		}
	}
	if (d->eof && d->len == 0 && !d->shut) {
		shutdown(d->to, SHUT_WR);
		d->shut = 1;
	}
}

static short events_of(const pair *p, int fd)
{
	short ev = 0;
	const dir *ds[2] = { &p->up, &p->down };

	for (int i = 0; i < 2; i++) {
		if (ds[i]->from == fd && !ds[i]->eof && ds[i]->len == 0)
			ev |= POLLIN;
		if (ds[i]->to == fd && ds[i]->len > 0)
			ev |= POLLOUT;
	}
	return ev;
}

static void usage(void)
{
	fprintf(stderr, "usage: ih-silentproxy --to HOST:PORT [--port P|0] [--port-file FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *to = NULL, *port_file = NULL;
	char host[256], port[16];
	int lport = 0, lfd, one = 1;
	struct sockaddr_in a;
	socklen_t alen = sizeof a;
	struct sigaction sa;
	pair **pairs = NULL;
	size_t npairs = 0, cap = 0;
	const char *colon;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			to = argv[++i];
		else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			lport = atoi(argv[++i]);
		else if (strcmp(argv[i], "--port-file") == 0 && i + 1 < argc)
			port_file = argv[++i];
		else
			usage();
	}
	if (to == NULL || (colon = strrchr(to, ':')) == NULL || (size_t)(colon - to) >= sizeof host)
		usage();
	snprintf(host, sizeof host, "%.*s", (int)(colon - to), to);
	snprintf(port, sizeof port, "%s", colon + 1);

	if (pipe(g_sigpipe) != 0)
		return 1;
	set_nonblock(g_sigpipe[0]);
	set_nonblock(g_sigpipe[1]);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0)
		return 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)lport);
	if (bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 64) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen) != 0) {
		perror("ih-silentproxy: listen");
		return 1;
	}
	set_nonblock(lfd);
	printf("port %d\n", ntohs(a.sin_port));
	fflush(stdout);
	if (port_file != NULL) { /* complete when it appears: written aside, then renamed */
		char tmp[4096];
		FILE *f;

		snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
		f = fopen(tmp, "w");
		if (f == NULL || fprintf(f, "%d\n", ntohs(a.sin_port)) < 0 || fclose(f) != 0 || rename(tmp, port_file) != 0) {
			perror(port_file);
			return 1;
		}
	}

	for (;;) {
		struct pollfd *pfd = calloc(2 + 2 * npairs, sizeof *pfd);
		size_t n = 0;

		if (pfd == NULL)
			return 1;
		pfd[n].fd = g_sigpipe[0];
		pfd[n++].events = POLLIN;
		pfd[n].fd = lfd;
		pfd[n++].events = POLLIN;
		for (size_t i = 0; i < npairs; i++) {
			if (pairs[i]->silent)
				continue; /* not even their hang-ups are looked at */
			pfd[n].fd = pairs[i]->cfd;
			pfd[n++].events = events_of(pairs[i], pairs[i]->cfd);
			pfd[n].fd = pairs[i]->sfd;
			pfd[n++].events = events_of(pairs[i], pairs[i]->sfd);
		}
		if (poll(pfd, n, -1) < 0 && errno != EINTR) {
			free(pfd);
			return 1;
		}
		if (pfd[0].revents & POLLIN) {
			char ch;

			while (read(g_sigpipe[0], &ch, 1) == 1)
				;
		}
		if (g_term) {
			free(pfd);
			return 0;
		}
		if (g_silence) {
			size_t k = 0;

			g_silence = 0;
			for (size_t i = 0; i < npairs; i++)
				if (!pairs[i]->silent) {
					pairs[i]->silent = 1;
					k++;
				}
			/* servers.sh proxy-silence waits for this line */
			printf("silenced %zu\n", k);
			fflush(stdout);
			free(pfd);
			continue; /* the pollfds no longer match the silent set */
		}
		if (pfd[1].revents & POLLIN) {
			int cfd = accept(lfd, NULL, NULL);

			if (cfd >= 0) {
				int sfd = connect_to(host, port);
				pair *p;

				if (sfd < 0 || (p = calloc(1, sizeof *p)) == NULL) {
					close(cfd);
					if (sfd >= 0)
						close(sfd);
				} else {
					set_nonblock(cfd);
					set_nonblock(sfd);
					setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
					setsockopt(sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
					p->cfd = cfd;
					p->sfd = sfd;
					p->up.from = cfd;
					p->up.to = sfd;
					p->down.from = sfd;
					p->down.to = cfd;
					if (npairs == cap) {
						pair **np = realloc(pairs, (cap ? cap * 2 : 16) * sizeof *np);

						if (np == NULL)
							return 1;
						pairs = np;
						cap = cap ? cap * 2 : 16;
					}
					pairs[npairs++] = p;
				}
			}
		}
		for (size_t i = 2; i < n; i += 2) {
			pair *p = NULL;

			for (size_t k = 0; k < npairs; k++)
				if (pairs[k]->cfd == pfd[i].fd && !pairs[k]->silent) {
					p = pairs[k];
					break;
				}
			if (p == NULL)
				continue;
			/* an error, or a hang-up where no more progress is possible */
			if (((pfd[i].revents | pfd[i + 1].revents) & POLLERR) ||
			    ((pfd[i].revents & POLLHUP) && pfd[i].events == 0) ||
			    ((pfd[i + 1].revents & POLLHUP) && pfd[i + 1].events == 0)) {
				p->dead = 1;
				continue;
			}
			pump(p, &p->up, pfd[i].revents, pfd[i + 1].revents);
			if (!p->dead)
				pump(p, &p->down, pfd[i + 1].revents, pfd[i].revents);
		}
		free(pfd);
		/* close the pairs that are done, in both directions or by an error */
		for (size_t k = 0; k < npairs;) {
			pair *p = pairs[k];

			if (!p->silent && (p->dead || (p->up.shut && p->down.shut))) {
				close(p->cfd);
				close(p->sfd);
				free(p);
				pairs[k] = pairs[--npairs];
			} else {
				k++;
			}
		}
	}
}
