/*
 * fsxlite — a random file-operation exerciser with an in-memory model, for
 * the integration tests (test_fsx.sh). Written for zkfs from scratch.
 *
 *   fsxlite [-n OPS] [-l MAXLEN] [-s SEED] [-c CLOSEPROB] [-y] [-a] FILE MODELOUT
 *
 * Opens FILE with O_RDWR|O_CREAT|O_TRUNC and runs OPS (default 10000) random
 * operations on it, chosen by a deterministic PRNG seeded with SEED (default
 * 1): the same arguments give the same operations. A model of the content the
 * file must hold is kept in memory; the file never grows past MAXLEN bytes
 * (default 500000). The operations:
 *
 *   pwrite    random bytes at a random offset: mostly inside the content,
 *             sometimes at or past the end (the gap reads as zeros)
 *   pread     a random range, compared byte for byte with the model; one
 *             pread(2) must return exactly the bytes the model has there
 *             (fewer only at the end of the file, 0 at or past it)
 *   truncate  ftruncate(2) to a random size, shorter or longer (zero-filled)
 *   append    lseek(SEEK_END), which must give the model's length, then
 *             write(2) through the file offset, which must move to the new end
 *   xappend   (-a only) close the main descriptor (committing its buffer),
 *             open the file again O_WRONLY|O_APPEND, write, close, and reopen
 *             the main descriptor. In zkfs every descriptor has its own buffer
 *             committed at its close, so the main one is never kept open
 *             across another's commit.
 *
 * Operation 1 is always a pwrite, so that the file's creation is committed by
 * a close (synchronously) and not only when the kernel releases the handle.
 *
 * After EVERY operation fstat(2)'s st_size and lseek(fd, 0, SEEK_END) must
 * both equal the model's length.
 *   -c N  after an operation, with probability 1/N, close the file (close(2)
 *         must return 0), open it again O_RDWR (no O_TRUNC) and read back and
 *         compare the whole content (one pread(2) of the whole file)
 *   -y    fsync(2) after every operation that changes the content (must
 *         return 0)
 *   -a    include the xappend operation
 * Before the end the whole content is read back and compared; then the file
 * is closed (close(2) must return 0).
 *
 * MODELOUT receives the model's bytes at the end, and also on a failure (what
 * the file should have held), so that the caller can compare it with the
 * stored value (zkctl get).
 *
 * On the first mismatch or failing call: one message on stderr naming the
 * operation number, the operation, the expected and the actual value (or the
 * errno), followed by the last few operations; exit 1. Usage errors: exit 2.
 * Success: a one-line summary on stdout (operations by kind, final length),
 * exit 0.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strerrorname_np; meson defines it project-wide */
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { EX_FAIL = 1, EX_USAGE = 2 };

/* The largest single read or write. */
#define MAX_OPLEN ((size_t)65536)

/* How many past operations a failure report shows. */
#define HISTORY 10

enum kind { K_PWRITE, K_PREAD, K_TRUNCATE, K_APPEND, K_XAPPEND, K_REOPEN, K_FSYNC, NKINDS };
static const char *const kind_name[NKINDS] = {
	"pwrite", "pread", "truncate", "append", "xappend", "reopen", "fsync",
};

/* Relative weights of the operations picked at random (xappend only with -a). */
static const unsigned weight[] = {
	[K_PWRITE] = 30, [K_PREAD] = 30, [K_TRUNCATE] = 10, [K_APPEND] = 20, [K_XAPPEND] = 4,
};

static struct {
	long ops;
	size_t maxlen;
	uint64_t seed;
	long closeprob; /* 0: never close and reopen between operations */
	bool sync;
	bool xappend;
	const char *file;
	const char *modelout;
} cfg = { .ops = 10000, .maxlen = 500000, .seed = 1 };

static unsigned char *model; /* what FILE must hold: mlen bytes (cfg.maxlen allocated) */
static size_t mlen;
static unsigned char *buf;   /* data to write, or what was read: bufsize bytes */
static size_t bufsize;       /* max(MAX_OPLEN, cfg.maxlen + 1): a whole-file read fits */
static size_t oplen;         /* min(MAX_OPLEN, cfg.maxlen) */
static int fd = -1;

static long opno;            /* the operation running, from 1; 0 before the first */
static char cur[160];        /* what it does */
static char hist[HISTORY][160]; /* the last operations, as cur, ... */
static long hist_op[HISTORY];   /* ... and their numbers */
static long nhist;
static long count[NKINDS];

/* ------------------------------------------------------------ reporting */

static void save_model(void)
{
	int out = open(cfg.modelout, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0) {
		fprintf(stderr, "fsxlite: cannot write the model to %s: %s\n", cfg.modelout, strerror(errno));
		exit(EX_FAIL);
	}
	size_t done = 0;
	while (done < mlen) {
		ssize_t w = write(out, model + done, mlen - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fprintf(stderr, "fsxlite: writing the model to %s: %s\n", cfg.modelout,
				w < 0 ? strerror(errno) : "no progress");
			exit(EX_FAIL);
		}
		done += (size_t)w;
	}
	if (close(out) != 0) {
		fprintf(stderr, "fsxlite: closing the model file %s: %s\n", cfg.modelout, strerror(errno));
		exit(EX_FAIL);
	}
}

/* Report a failure of the current operation, save the model, exit 1. */
__attribute__((format(printf, 1, 2), noreturn))
static void fail(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	if (opno > 0)
		fprintf(stderr, "fsxlite: FAIL at op %ld of %ld (%s): ", opno, cfg.ops, cur);
	else
		fprintf(stderr, "fsxlite: FAIL (%s): ", cur);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (nhist > 1) {
		long first = nhist > HISTORY ? nhist - HISTORY : 0;
		fprintf(stderr, "fsxlite: the last operations (seed %" PRIu64 "):\n", cfg.seed);
		for (long i = first; i < nhist; i++)
			fprintf(stderr, "fsxlite:   op %ld: %s\n", hist_op[i % HISTORY], hist[i % HISTORY]);
	}
	save_model();
	fprintf(stderr, "fsxlite: the expected content (%zu bytes) is in %s\n", mlen, cfg.modelout);
	exit(EX_FAIL);
}

/* Report a failing call of the current operation (errno). */
__attribute__((noreturn))
static void fail_errno(const char *call)
{
	int e = errno;
	const char *name = strerrorname_np(e);
	if (name)
		fail("%s failed: %s (%s)", call, name, strerror(e));
	fail("%s failed: errno %d (%s)", call, e, strerror(e));
}

/* Start operation KIND: describe it (printf-style) and remember it. */
__attribute__((format(printf, 2, 3)))
static void begin(enum kind k, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(cur, sizeof cur, "%s ", kind_name[k]);
	va_start(ap, fmt);
	vsnprintf(cur + n, sizeof cur - (size_t)n, fmt, ap);
	va_end(ap);
	memcpy(hist[nhist % HISTORY], cur, sizeof cur);
	hist_op[nhist % HISTORY] = opno;
	nhist++;
	count[k]++;
}

/* ------------------------------------------------------------ PRNG (splitmix64) */

static uint64_t rng;

static uint64_t rnd(void)
{
	uint64_t z = (rng += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi] (hi >= lo). The modulo bias is negligible here. */
static size_t rnd_in(size_t lo, size_t hi)
{
	return lo + (size_t)(rnd() % ((uint64_t)(hi - lo) + 1));
}

static void rnd_fill(unsigned char *p, size_t n)
{
	while (n > 0) {
		uint64_t r = rnd();
		size_t k = n < sizeof r ? n : sizeof r;
		memcpy(p, &r, k);
		p += k;
		n -= k;
	}
}

static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

/* ------------------------------------------------------------ checks */

/* fstat's st_size and lseek(SEEK_END) must both be the model's length. */
static void check_size(void)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		fail_errno("fstat");
	if (st.st_size < 0 || (uintmax_t)st.st_size != mlen)
		fail("size mismatch: fstat st_size is %jd, expected %zu", (intmax_t)st.st_size, mlen);
	off_t end = lseek(fd, 0, SEEK_END);
	if (end < 0)
		fail_errno("lseek(fd, 0, SEEK_END)");
	if ((uintmax_t)end != mlen)
		fail("size mismatch: lseek(fd, 0, SEEK_END) returned %jd, expected %zu (fstat gave %jd)",
		     (intmax_t)end, mlen, (intmax_t)st.st_size);
}

static void hex(char *out, size_t cap, const unsigned char *p, size_t n)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n && used + 3 < cap; i++)
		used += (size_t)snprintf(out + used, cap - used, "%02x", p[i]);
}

/* The LEN bytes read at OFF (in buf) must be the model's. */
static void compare(size_t off, size_t len)
{
	if (memcmp(buf, model + off, len) == 0)
		return;
	size_t first = 0, ndiff = 0;
	for (size_t i = len; i-- > 0;)
		if (buf[i] != model[off + i]) {
			first = i;
			ndiff++;
		}
	size_t show = min_sz(16, len - first);
	char want[40], got[40];
	hex(want, sizeof want, model + off + first, show);
	hex(got, sizeof got, buf + first, show);
	fail("data mismatch: %zu of the %zu bytes read at offset %zu differ, the first at file offset %zu: "
	     "expected %s, read %s", ndiff, len, off, off + first, want, got);
}

/* One pread of LEN bytes at OFF must return exactly what the model has there. */
static void read_check(size_t off, size_t len)
{
	size_t expect = off >= mlen ? 0 : min_sz(len, mlen - off);
	ssize_t r;
	do
		r = pread(fd, buf, len, (off_t)off);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		fail_errno("pread");
	if ((size_t)r != expect)
		fail("pread of %zu bytes at offset %zu returned %zd bytes, expected %zu (file length %zu)",
		     len, off, r, expect, mlen);
	compare(off, expect);
}

/* Read back the whole file with ONE pread(2) of one byte more than its
 * length (the kernel splits it into several requests; it must still return
 * every byte, stopping short only at the end), then one at the end (0). */
static void verify_all(void)
{
	read_check(0, mlen + 1);
	read_check(mlen, 1);
}

/* write(2) or pwrite(2) (off >= 0) of N bytes from buf: all or a failure. */
static void write_checked(int wfd, size_t n, off_t off, const char *call)
{
	ssize_t w;
	do
		w = off < 0 ? write(wfd, buf, n) : pwrite(wfd, buf, n, off);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		fail_errno(call);
	if ((size_t)w != n)
		fail("short write: %s of %zu bytes returned %zd", call, n, w);
}

static void maybe_fsync(void)
{
	if (!cfg.sync)
		return;
	count[K_FSYNC]++;
	if (fsync(fd) != 0)
		fail_errno("fsync");
}

static void close_main(void)
{
	if (close(fd) != 0) {
		fd = -1;
		fail_errno("close");
	}
	fd = -1;
}

static void open_main(int flags, const char *call)
{
	fd = open(cfg.file, flags, 0644);
	if (fd < 0)
		fail_errno(call);
}

/* Bytes [from, to) of the model become zeros (a gap or a grown file). */
static void zero_model(size_t from, size_t to)
{
	if (to > from)
		memset(model + from, 0, to - from);
}

/* ------------------------------------------------------------ operations */

static void op_pwrite(void)
{
	size_t off;
	if (mlen < cfg.maxlen && rnd() % 4 == 0)
		off = rnd_in(mlen, cfg.maxlen - 1); /* at or past the end */
	else
		off = mlen ? rnd_in(0, mlen - 1) : 0;
	size_t len = rnd_in(1, min_sz(oplen, cfg.maxlen - off));
	size_t after = off + len > mlen ? off + len : mlen;
	begin(K_PWRITE, "off=%zu len=%zu (length %zu -> %zu%s)", off, len, mlen, after,
	      off > mlen ? ", leaves a gap" : "");
	rnd_fill(buf, len);
	write_checked(fd, len, (off_t)off, "pwrite");
	zero_model(mlen, off);
	memcpy(model + off, buf, len);
	mlen = after;
	maybe_fsync();
}

static void op_pread(void)
{
	size_t off;
	if (rnd() % 8 == 0)
		off = rnd_in(mlen, mlen + oplen); /* at or past the end */
	else
		off = rnd_in(0, mlen);
	size_t len = rnd_in(1, oplen);
	begin(K_PREAD, "off=%zu len=%zu (length %zu)", off, len, mlen);
	read_check(off, len);
}

static void op_truncate(void)
{
	size_t to;
	if (rnd() % 2)
		to = rnd_in(0, cfg.maxlen);
	else /* near the current length */
		to = rnd_in(mlen > oplen ? mlen - oplen : 0, min_sz(cfg.maxlen, mlen + oplen));
	begin(K_TRUNCATE, "to %zu (length %zu -> %zu)", to, mlen, to);
	if (ftruncate(fd, (off_t)to) != 0)
		fail_errno("ftruncate");
	zero_model(mlen, to);
	mlen = to;
	maybe_fsync();
}

static void op_append(void)
{
	size_t len = rnd_in(1, min_sz(oplen, cfg.maxlen - mlen));
	begin(K_APPEND, "len=%zu after lseek(SEEK_END) (length %zu -> %zu)", len, mlen, mlen + len);
	off_t pos = lseek(fd, 0, SEEK_END);
	if (pos < 0)
		fail_errno("lseek(fd, 0, SEEK_END)");
	if ((uintmax_t)pos != mlen)
		fail("lseek(fd, 0, SEEK_END) before the write returned %jd, expected %zu", (intmax_t)pos, mlen);
	rnd_fill(buf, len);
	write_checked(fd, len, -1, "write");
	memcpy(model + mlen, buf, len);
	mlen += len;
	pos = lseek(fd, 0, SEEK_CUR);
	if (pos < 0)
		fail_errno("lseek(fd, 0, SEEK_CUR)");
	if ((uintmax_t)pos != mlen)
		fail("the file offset after write is %jd, expected %zu (the new end)", (intmax_t)pos, mlen);
	maybe_fsync();
}

static void op_xappend(void)
{
	size_t len = rnd_in(1, min_sz(oplen, cfg.maxlen - mlen));
	begin(K_XAPPEND, "len=%zu through a second descriptor opened O_APPEND (length %zu -> %zu)",
	      len, mlen, mlen + len);
	close_main();
	int afd = open(cfg.file, O_WRONLY | O_APPEND);
	if (afd < 0)
		fail_errno("open O_WRONLY|O_APPEND");
	rnd_fill(buf, len);
	write_checked(afd, len, -1, "write (O_APPEND descriptor)");
	memcpy(model + mlen, buf, len);
	mlen += len;
	struct stat st;
	if (fstat(afd, &st) != 0)
		fail_errno("fstat (O_APPEND descriptor)");
	if (st.st_size < 0 || (uintmax_t)st.st_size != mlen)
		fail("size mismatch: fstat st_size of the O_APPEND descriptor after its write is %jd, expected %zu",
		     (intmax_t)st.st_size, mlen);
	off_t pos = lseek(afd, 0, SEEK_CUR);
	if (pos < 0)
		fail_errno("lseek(SEEK_CUR) (O_APPEND descriptor)");
	if ((uintmax_t)pos != mlen)
		fail("the O_APPEND descriptor's offset after its write is %jd, expected %zu", (intmax_t)pos, mlen);
	if (close(afd) != 0)
		fail_errno("close (O_APPEND descriptor)");
	open_main(O_RDWR, "reopen O_RDWR");
	verify_all();
}

static void op_reopen(void)
{
	begin(K_REOPEN, "close, open O_RDWR, read back all %zu bytes", mlen);
	close_main();
	open_main(O_RDWR, "reopen O_RDWR");
	verify_all();
}

/* A random operation by weight; xappend only with -a; an append or xappend
 * with no room left is a pwrite. Operation 1 is a pwrite. */
static enum kind pick(void)
{
	if (opno == 1)
		return K_PWRITE;
	unsigned total = 0;
	for (int k = 0; k < K_REOPEN; k++)
		if (k != K_XAPPEND || cfg.xappend)
			total += weight[k];
	unsigned r = (unsigned)(rnd() % total);
	enum kind k = K_PWRITE;
	for (int i = 0; i < K_REOPEN; i++) {
		if (i == K_XAPPEND && !cfg.xappend)
			continue;
		if (r < weight[i]) {
			k = (enum kind)i;
			break;
		}
		r -= weight[i];
	}
	if ((k == K_APPEND || k == K_XAPPEND) && mlen >= cfg.maxlen)
		k = K_PWRITE;
	return k;
}

/* ------------------------------------------------------------ main */

static int usage(void)
{
	fprintf(stderr,
		"usage: fsxlite [-n OPS] [-l MAXLEN] [-s SEED] [-c CLOSEPROB] [-y] [-a] FILE MODELOUT\n"
		"  -n OPS        random operations to run (default 10000)\n"
		"  -l MAXLEN     the file never grows past MAXLEN bytes (default 500000)\n"
		"  -s SEED       PRNG seed (default 1)\n"
		"  -c CLOSEPROB  close and reopen (and read back all) with probability\n"
		"                1/CLOSEPROB after each operation (default 0: never)\n"
		"  -y            fsync after every operation that changes the content\n"
		"  -a            also append through a second, O_APPEND descriptor\n");
	return EX_USAGE;
}

static bool parse_num(const char *s, uintmax_t max, uintmax_t *out)
{
	char *end;
	errno = 0;
	if (*s == '-' || *s == '\0')
		return false;
	uintmax_t v = strtoumax(s, &end, 0);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

int main(int argc, char **argv)
{
	int c;
	uintmax_t v;
	while ((c = getopt(argc, argv, "n:l:s:c:ya")) != -1) {
		switch (c) {
		case 'n':
			if (!parse_num(optarg, LONG_MAX, &v))
				return fprintf(stderr, "fsxlite: bad -n '%s'\n", optarg), EX_USAGE;
			cfg.ops = (long)v;
			break;
		case 'l':
			if (!parse_num(optarg, (uintmax_t)1 << 30, &v) || v == 0)
				return fprintf(stderr, "fsxlite: bad -l '%s' (1 to 2^30)\n", optarg), EX_USAGE;
			cfg.maxlen = (size_t)v;
			break;
		case 's':
			if (!parse_num(optarg, UINT64_MAX, &v))
				return fprintf(stderr, "fsxlite: bad -s '%s'\n", optarg), EX_USAGE;
			cfg.seed = (uint64_t)v;
			break;
		case 'c':
			if (!parse_num(optarg, LONG_MAX, &v))
				return fprintf(stderr, "fsxlite: bad -c '%s'\n", optarg), EX_USAGE;
			cfg.closeprob = (long)v;
			break;
		case 'y':
			cfg.sync = true;
			break;
		case 'a':
			cfg.xappend = true;
			break;
		default:
			return usage();
		}
	}
	if (argc - optind != 2)
		return usage();
	cfg.file = argv[optind];
	cfg.modelout = argv[optind + 1];

	oplen = min_sz(MAX_OPLEN, cfg.maxlen);
	model = calloc(cfg.maxlen, 1);
	bufsize = cfg.maxlen + 1 > MAX_OPLEN ? cfg.maxlen + 1 : MAX_OPLEN;
	buf = malloc(bufsize);
	if (!model || !buf) {
		fprintf(stderr, "fsxlite: out of memory\n");
		return EX_FAIL;
	}
	rng = cfg.seed;

	snprintf(cur, sizeof cur, "open O_RDWR|O_CREAT|O_TRUNC %s", cfg.file);
	open_main(O_RDWR | O_CREAT | O_TRUNC, "open");
	check_size();

	for (opno = 1; opno <= cfg.ops; opno++) {
		switch (pick()) {
		case K_PWRITE: op_pwrite(); break;
		case K_PREAD: op_pread(); break;
		case K_TRUNCATE: op_truncate(); break;
		case K_APPEND: op_append(); break;
		case K_XAPPEND: op_xappend(); break;
		default: abort();
		}
		check_size();
		if (cfg.closeprob > 0 && rnd() % (uint64_t)cfg.closeprob == 0) {
			op_reopen();
			check_size();
		}
	}

	opno = 0;
	snprintf(cur, sizeof cur, "final read-back of all %zu bytes", mlen);
	verify_all();
	snprintf(cur, sizeof cur, "final close");
	close_main();
	save_model();

	printf("fsxlite: %ld ops OK (seed %" PRIu64 ", maxlen %zu):", cfg.ops, cfg.seed, cfg.maxlen);
	for (int k = 0; k < NKINDS; k++)
		printf(" %s %ld%s", kind_name[k], count[k], k + 1 < NKINDS ? "," : ";");
	printf(" final length %zu\n", mlen);
	return 0;
}
