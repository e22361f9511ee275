/*
 * main — zkfs: options, resolution, daemonising with a status pipe, the
 * session loop, signals and logging. All mutable state of the daemon lives in
 * `struct daemon` on main's stack.
 */
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "auth.h"
#include "conf.h"
#include "fsops.h"
#include "log.h"
#include "mountinfo.h"
#include "mountwatch.h"
#include "notify.h"
#include "ops.h"
#include "options.h"
#include "source.h"
#include "zk.h"

/* Worker threads at most: enough that every process blocked in a request
 * (a few per process) has one, for hundreds of processes. */
#define ZKFS_MAX_THREADS 256

struct daemon {
	struct options opt;
	struct source src;
	struct auth auth;         /* -o auth_file: credentials for every session */
	char mountpoint[PATH_MAX];
	char *fsname;
	struct zk *zk;
	struct fs *fs;
	struct notify *nq;
	struct fuse_session *se;
	struct mountwatch *mw;    /* notices a detached mount (umount -l) */
	atomic_bool detached;     /* set by mw's thread (on_detached), or by teardown */
	int status_fd;            /* write end of the status pipe, -1 in the foreground */
};

/* ---- backend events (ZooKeeper completion thread) ---- */

static void on_watch(void *ctx, enum zevent ev, const char *path)
{
	struct daemon *d = ctx;

	fs_on_watch(d->fs, ev, path);
}

static void on_state(void *ctx, enum zstate state, bool expired)
{
	struct daemon *d = ctx;

	if (expired)
		log_warn("session expired: the cached facts are kept and served until they are "
			 "revalidated on the new session that follows (changes found then are "
			 "invalidated)");
	if (fs_on_state(d->fs, state, expired))
		notify_touch_state(d->nq);
}

static void on_rejected(void *ctx)
{
	struct daemon *d = ctx;

	fs_on_rejected(d->fs);
}

/* The mount left the mount table while files on it may still be open
 * (umount -l): the kernel sends nothing until the last one is closed, and a
 * reader of `.events` never closes it by itself. End those readers, refuse
 * anything new, stop waiting for servers; the session loop then ends when the
 * kernel lets go of the mount (mountwatch's thread). */
static void on_detached(void *ctx)
{
	struct daemon *d = ctx;

	atomic_store(&d->detached, true);
	log_info("%s: unmounted: .events readers ended; zkfs exits once no file on it is "
		 "open", d->mountpoint);
	fs_detach(d->fs);         /* and no more inotify events for remote changes */
	zk_stop_waiting(d->zk);
	fs_stop(d->fs);           /* no revalidation: its fetch gives up at once */
	notify_stop(d->nq);       /* nothing to invalidate or touch any more */
}

/* ---- startup ---- */

static int resolve(struct daemon *d, char *err, size_t errlen)
{
	struct conf_section cs = { 0 };
	const char *file = d->opt.config ? d->opt.config : ZKFS_DEFAULT_CONFIG;
	const char *section = d->opt.section ? d->opt.section : ZKFS_DEFAULT_SECTION;
	struct source_input in;
	int rc;

	if (conf_load_section(file, section, d->opt.config != NULL, d->opt.section != NULL,
			      &cs, err, errlen) != 0)
		return -1;
	in = (struct source_input){
		.url = d->opt.source,
		.conf_servers = cs.servers,
		.conf_path = cs.path,
		.env_servers = getenv("ASAB_ZOOKEEPER_SERVERS"),
		.conf_file = file,
		.section = section,
	};
	rc = source_resolve(&in, &d->src, err, errlen);
	conf_section_free(&cs);
	return rc;
}

/* zkfs is already mounted on the mount point: a second daemon would stack a
 * mount on it and hide the first. -1 with the reason in err. */
static int already_mounted(struct daemon *d, char *err, size_t errlen)
{
	char type[64];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int rc;

	if (!f)
		return 0;    /* no /proc: mount(2) decides */
	rc = mountinfo_top(f, d->mountpoint, type, sizeof(type));
	fclose(f);
	if (rc != 1 || strcmp(type, "fuse.zkfs") != 0)
		return 0;
	snprintf(err, errlen, "%s: zkfs is already mounted there (unmount it first: "
		 "fusermount3 -u %s)", d->opt.mountpoint, d->opt.mountpoint);
	return -1;
}

static int check_mountpoint(struct daemon *d, char *err, size_t errlen)
{
	struct stat st;

	if (!realpath(d->opt.mountpoint, d->mountpoint) || stat(d->mountpoint, &st) != 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", d->opt.mountpoint, strerror(e));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", d->opt.mountpoint);
		return -1;
	}
	return already_mounted(d, err, errlen);
}

/* "-ofsname=zookeeper://SERVERS/PATH,subtype=zkfs", the commas and
 * backslashes of the source escaped with a backslash: fuse_opt splits an -o
 * list at unescaped commas, and a server list has commas. */
static char *fsname_opt(const char *servers, const char *path)
{
	static const char pre[] = "-ofsname=zookeeper://", post[] = ",subtype=zkfs";
	size_t n = strlen(servers) + strlen(path);
	char *out = malloc(sizeof pre + 2 * n + sizeof post), *q;
	const char *parts[2] = { servers, path };

	if (!out)
		return NULL;
	q = stpcpy(out, pre);
	for (int k = 0; k < 2; k++)
		for (const char *p = parts[k]; *p; p++) {
			if (*p == ',' || *p == '\\')
				*q++ = '\\';
			*q++ = *p;
		}
	strcpy(q, post);
	return out;
}

/* Everything that needs no thread: so that it can run before fork(). */
static int prepare(struct daemon *d, char *err, size_t errlen)
{
	struct backend_events ev = { .on_watch = on_watch, .on_state = on_state,
				     .on_rejected = on_rejected, .ctx = d };
	struct zk_config zc;
	struct fs_config fc;

	if (resolve(d, err, errlen) != 0 || check_mountpoint(d, err, errlen) != 0)
		return -1;
	if (d->opt.auth_file && auth_load(d->opt.auth_file, &d->auth, err, errlen) != 0)
		return -1;
	zc = (struct zk_config){
		.servers = d->src.servers,
		.session_timeout_ms = (int)d->opt.session_timeout * 1000,
		.timeout_ms = (int)d->opt.timeout * 1000,
		.debug = d->opt.debug,
		/* SPEC §8: open without credentials, creator with them. */
		.acl = zk_acl_named(d->opt.acl ? d->opt.acl : d->auth.n ? "creator" : "open"),
		.auth = &d->auth,
	};
	fc = (struct fs_config){
		.base = d->src.base_path,
		.datafile = d->opt.datafile ? d->opt.datafile : ZKFS_DEFAULT_DATAFILE,
		.uid = d->opt.uid_set ? d->opt.uid : getuid(),
		.gid = d->opt.gid_set ? d->opt.gid : getgid(),
		.umask = d->opt.umask,
		.cache_timeout = d->opt.cache_timeout,
		.ro = d->opt.ro,
		.max_size = d->opt.max_size,
		.max_listing = d->opt.max_size,
		/* The servers' jute.maxbuffer bounds the re-registration of the
		 * watches as it bounds a value: max_size stands for it (its
		 * default is 1 KiB under the servers'), with a quarter to spare
		 * for watches that no cached fact accounts for yet. */
		.watch_budget = d->opt.max_size / 4 * 3,
		.sync_notices = notify_sync,
		.events_hooks = &zkfs_events_hooks,
		.remote_events = !d->opt.noremote_events,
	};
	if (strchr(fc.datafile, '/') || !fc.datafile[0] || strcmp(fc.datafile, ".") == 0 ||
	    strcmp(fc.datafile, "..") == 0) {
		snprintf(err, errlen, "datafile=%s: not a file name", fc.datafile);
		return -1;
	}
	d->nq = notify_new();
	fc.sync_ctx = d->nq;
	d->zk = zk_new(&zc, &ev);
	d->fs = d->zk ? fs_new(&fc, zk_backend(d->zk), notify_sink, d->nq) : NULL;
	if (!d->nq || !d->zk || !d->fs) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* The mount shows the source as its device and fuse.zkfs as its type. */
	if (!(d->fsname = fsname_opt(d->src.servers, d->src.base_path)) ||
	    fuse_opt_add_arg(&d->opt.fuse, d->fsname) != 0 ||
	    (d->opt.debug && fuse_opt_add_arg(&d->opt.fuse, "-odebug") != 0)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	d->se = fuse_session_new(&d->opt.fuse, &zkfs_ops, sizeof(zkfs_ops), d->fs);
	if (!d->se) {
		err[0] = '\0';   /* libfuse said which option it refused */
		return -1;
	}
	return 0;
}

/* The device of the mount just made on `path` (read from the mount table: a
 * stat would wait for the session loop), 0 if unknown. */
static dev_t mount_dev(const char *path)
{
	struct mountinfo_id id = { 0 };
	char type[64];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int rc;

	if (!f)
		return 0;
	rc = mountinfo_top_id(f, path, type, sizeof(type), &id);
	fclose(f);
	return rc == 1 && strcmp(type, "fuse.zkfs") == 0 ? makedev(id.major, id.minor) : 0;
}

/* Connect, check the base path, mount. Runs in the process that stays. */
static int start(struct daemon *d, char *err, size_t errlen)
{
	int rc = zk_start(d->zk);

	if (rc) {
		snprintf(err, errlen, "%s: cannot start the ZooKeeper client: %s", d->src.servers,
			 strerror(rc));
		return -1;
	}
	if (zk_wait_connected(d->zk, (int)d->opt.timeout * 1000) != 0) {
		snprintf(err, errlen, "cannot connect to ZooKeeper at %s within %u s",
			 d->src.servers, d->opt.timeout);
		return -1;
	}
	if (d->opt.ro) {
		rc = zk_exists(d->zk, d->src.base_path);
		if (rc) {
			snprintf(err, errlen, "%s: %s", d->src.base_path,
				 rc == ENOENT ? "base path does not exist (read-only mount)"
					      : strerror(rc));
			return -1;
		}
	} else if ((rc = zk_ensure_path(d->zk, d->src.base_path)) != 0) {
		snprintf(err, errlen, "%s: cannot create the base path: %s", d->src.base_path,
			 strerror(rc));
		return -1;
	}
	if (already_mounted(d, err, errlen) != 0)   /* again: the connection took a while */
		return -1;
	if (fuse_session_mount(d->se, d->mountpoint) != 0) {
		snprintf(err, errlen, "%s: cannot mount (see above)", d->mountpoint);
		return -1;
	}
	rc = notify_start(d->nq, d->se, d->mountpoint);
	if (rc) {
		fuse_session_unmount(d->se);
		snprintf(err, errlen, "cannot start the notify thread: %s", strerror(rc));
		return -1;
	}
	rc = fs_start(d->fs);     /* after fork(): the revalidation's thread */
	if (rc) {
		fuse_session_unmount(d->se);
		snprintf(err, errlen, "cannot start the revalidation thread: %s", strerror(rc));
		return -1;
	}
	rc = mountwatch_start(d->mountpoint, "fuse.zkfs", on_detached, d, &d->mw);
	if (rc)
		log_warn("%s: cannot watch the mount table (%s): `umount -l` will not end "
			 "the .events readers", d->mountpoint, strerror(rc));
	rc = fs_echo_start(d->fs, d->mountpoint, mount_dev(d->mountpoint));
	if (rc)
		log_warn("cannot start the thread of inotify events for remote changes: %s",
			 strerror(rc));
	return 0;
}

/* Tell the waiting parent how it went: one byte, 0 for success. */
static void report(struct daemon *d, int status)
{
	unsigned char b = (unsigned char)status;

	if (d->status_fd < 0)
		return;
	if (write(d->status_fd, &b, 1) != 1)
		log_err("cannot report the mount status: %s", strerror(errno));
	close(d->status_fd);
	d->status_fd = -1;
}

/* Fork; the parent waits for the child's status byte and exits with it. */
static int daemonize(struct daemon *d)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds) != 0) {
		log_err("pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		log_err("fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		unsigned char b = 1;
		close(fds[1]);
		if (read(fds[0], &b, 1) != 1) {
			int st;
			waitpid(pid, &st, 0);
			b = 1;
		}
		_exit(b);
	}
	close(fds[0]);
	d->status_fd = fds[1];
	setsid();
	return 0;
}

static void detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	if (chdir("/") != 0)
		log_warn("chdir /: %s", strerror(errno));
}

static int serve(struct daemon *d)
{
	struct fuse_loop_config *lc = fuse_loop_cfg_create();
	int rc;

	if (!lc || fuse_set_signal_handlers(d->se) != 0) {
		log_err("cannot set up the session loop");
		fuse_loop_cfg_destroy(lc);
		return -1;
	}
	fuse_loop_cfg_set_clone_fd(lc, 1);
	fuse_loop_cfg_set_idle_threads(lc, 10);
	/* libfuse's default of 10 workers starves under many writers: each
	 * commit waits (notify_sync) for the notify thread, which may wait for
	 * a directory lock held by a process whose LOOKUP needs a worker. */
	fuse_loop_cfg_set_max_threads(lc, ZKFS_MAX_THREADS);
	rc = fuse_session_loop_mt(d->se, lc);
	fuse_remove_signal_handlers(d->se);
	fuse_loop_cfg_destroy(lc);
	return rc;
}

/* The kernel ended the FUSE connection (the mount is gone for good). */
static bool severed(struct fuse_session *se)
{
	struct pollfd p = { .fd = fuse_session_fd(se) };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

static void teardown(struct daemon *d, bool mounted)
{
	/* A detach the watch has not reported yet (SIGTERM right after
	 * umount -l, or a plain umount that ended the loop first) counts too:
	 * the path may hold another mount already. Read before the watch
	 * stops: what it reports meanwhile is not said twice. */
	int present = mounted ? mountwatch_present(d->mw) : -1;

	mountwatch_stop(d->mw);   /* before our own unmount, which it would see */
	if (present == 0 && !atomic_load(&d->detached)) {
		atomic_store(&d->detached, true);
		log_info("%s: unmounted", d->mountpoint);
	}
	if (d->nq)
		notify_stop(d->nq);
	if (d->fs) {
		events_end(fs_events(d->fs));   /* `.events` readers see EOF */
		fs_echo_stop(d->fs);
	}
	/* Detached (umount -l), the path may hold another mount now: unmount
	 * only if the kernel has severed the connection, when libfuse just
	 * closes the device (and frees what it holds) and unmounts nothing. */
	if (mounted && (!atomic_load(&d->detached) || severed(d->se)))
		fuse_session_unmount(d->se);
	if (d->nq)
		notify_join(d->nq);
	if (d->zk)
		zk_stop_waiting(d->zk);
	fs_stop(d->fs);           /* its thread calls the backend: before zk_free */
	/* Closing the device ends the connection: an operation of the echo
	 * thread on the mount that no worker will answer now fails. */
	if (d->se)
		fuse_session_destroy(d->se);
	if (d->fs)
		fs_echo_join(d->fs);
	zk_free(d->zk);           /* closes the session: ephemeral nodes go */
	fs_free(d->fs);
	notify_free(d->nq);
	source_free(&d->src);
	auth_free(&d->auth);
	free(d->fsname);
	options_free(&d->opt);
}

int main(int argc, char **argv)
{
	struct daemon d = { .status_fd = -1 };
	char err[PATH_MAX + 1024];
	int rc;

	if (options_parse(argc, argv, &d.opt, err, sizeof(err)) != 0) {
		fprintf(stderr, "zkfs: %s\n", err);
		options_free(&d.opt);
		return 1;
	}
	if (d.opt.show_help) {
		options_usage(stdout, "zkfs");
		options_free(&d.opt);
		return 0;
	}
	if (d.opt.show_version) {
		printf("zkfs %s (libfuse %s)\n", ZKFS_VERSION, fuse_pkgversion());
		options_free(&d.opt);
		return 0;
	}
	/* In daemon mode stderr is mount(8)'s: only warnings and errors there,
	 * so that a successful mount prints nothing (syslog gets INFO later). */
	log_setup(d.opt.debug ? LOG_LVL_DEBUG : d.opt.foreground ? LOG_LVL_INFO : LOG_LVL_WARN,
		  false);
	if (prepare(&d, err, sizeof(err)) != 0) {
		if (err[0])
			fprintf(stderr, "zkfs: %s\n", err);
		teardown(&d, false);
		return 1;
	}
	if (!d.opt.foreground && daemonize(&d) != 0) {
		teardown(&d, false);
		return 1;
	}
	if (start(&d, err, sizeof(err)) != 0) {
		log_err("%s", err);
		report(&d, 1);
		teardown(&d, false);
		return 1;
	}
	if (d.status_fd >= 0)     /* the daemon: INFO to syslog from now on */
		log_to_syslog(d.opt.debug ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	log_info("mounted %s%s on %s", d.src.servers, d.src.base_path, d.mountpoint);
	if (d.status_fd >= 0) {
		report(&d, 0);
		detach_stdio();
	}
#ifdef HAVE_LIBSYSTEMD
	sd_notify(0, "READY=1");
#endif
	notify_touch_state(d.nq);
	rc = serve(&d);
	/* The kernel may end the connection of a mount already gone with
	 * ECONNABORTED rather than ENODEV (seen after umount -l while the
	 * servers were away): the normal end of a detached mount. */
	if (rc == -ECONNABORTED && atomic_load(&d.detached))
		rc = 0;
	/* libfuse reports the signal that ended the loop as a positive
	 * number: SIGTERM/SIGINT/SIGHUP are a clean, requested exit. */
	if (rc > 0)
		log_info("%s: unmounting %s", strsignal(rc), d.mountpoint);
	else
		log_info("unmounting %s", d.mountpoint);
	if (rc < 0)
		log_err("session loop failed: %s", strerror(-rc));
	teardown(&d, true);
	return rc < 0 ? 1 : 0;
}
