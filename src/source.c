/*
 * source — resolve a zookeeper: URL, a config section and
 * $ASAB_ZOOKEEPER_SERVERS into servers and a base path. The contract is in
 * source.h; SPEC.md §2 is the specification.
 *
 * Choices the specification leaves open:
 *   - the scheme is matched without regard to case ("ZK:", "Zookeeper:");
 *   - "zookeeper:/a/b" (one slash, no authority) is read as "zookeeper:///a/b",
 *     as Python's urlparse (and so ASAB) reads it; "zookeeper:." is the config
 *     path itself; any other text after "zookeeper:" is malformed;
 *   - no query, fragment or %-decoding: '?', '#' and '%' are part of the path;
 *   - an empty `path=` in the config is the root; a config path is checked only
 *     when it is used (no URL, or the "./" form);
 *   - a server list that is present but empty (`servers=` in the config, or
 *     ASAB_ZOOKEEPER_SERVERS set to "") is an error, not a fall-through;
 *   - host names are letters, digits, '.', '-', '_'; a bracketed IPv6 address
 *     is hex digits, ':', '.', with an optional "%zone"; an unbracketed address
 *     with several ':' is rejected; a port may have leading zeros ("02181" is
 *     written "2181").
 * Every message is one line: control characters of the input are shown as '?'.
 */
#include "source.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_CONF_PATH "/asab"
#define DEFAULT_PORT 2181u
#define MSG_MAX 512

#define URL_FORMS "zookeeper://SERVERS/PATH, zookeeper:///PATH or zookeeper:./PATH"

__attribute__((format(printf, 3, 4)))
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	for (char *c = err; *c != '\0'; c++)
		if (iscntrl((unsigned char)*c))
			*c = '?';
}

/* --- paths -------------------------------------------------------------- */

char *source_normalize_path(const char *path, char *err, size_t errlen)
{
	size_t n = strlen(path);
	char *out = malloc(n + 2);
	size_t len = 0;

	if (out == NULL) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	for (const char *p = path; *p != '\0';) {
		while (*p == '/')
			p++;
		size_t c = strcspn(p, "/");
		if (c == 0)
			break;
		if ((c == 1 && p[0] == '.') || (c == 2 && p[0] == '.' && p[1] == '.')) {
			set_err(err, errlen, "path \"%s\": \"%.*s\" components are not allowed",
				path, (int)c, p);
			free(out);
			return NULL;
		}
		out[len++] = '/';
		memcpy(out + len, p, c);
		len += c;
		p += c;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	return out;
}

/* --- servers ------------------------------------------------------------ */

static bool is_host_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_';
}

/* "[v6addr]" with the brackets; s..e is the text inside them. */
static bool is_ipv6_text(const char *s, const char *e)
{
	bool colon = false, zone = false;

	for (; s < e; s++) {
		if (*s == '%' && !zone && colon)
			zone = true;
		else if (zone ? !is_host_char(*s) : !(isxdigit((unsigned char)*s) ||
						       *s == ':' || *s == '.'))
			return false;
		colon = colon || *s == ':';
	}
	return colon;
}

/* Digits only, 1..65535. */
static bool parse_port(const char *s, size_t n, unsigned *port)
{
	unsigned v = 0;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > 65535)
			return false;
	}
	*port = v;
	return v >= 1;
}

/* Split one trimmed item into host (brackets kept) and the text after the
 * host's ':' (NULL when no port). Returns 0 or -1 with err set. */
static int split_item(const char *it, size_t n, size_t *hostlen, const char **portp,
		      char *err, size_t errlen)
{
	const char *end = it + n, *hend;

	if (*it == '[') {
		const char *rb = memchr(it, ']', n);
		if (rb == NULL || !is_ipv6_text(it + 1, rb)) {
			set_err(err, errlen, "server \"%.*s\": bad IPv6 address "
				"(expected [ADDRESS] or [ADDRESS]:PORT)", (int)n, it);
			return -1;
		}
		hend = rb + 1;
		if (hend != end && *hend != ':') {
			set_err(err, errlen, "server \"%.*s\": unexpected text after ']'",
				(int)n, it);
			return -1;
		}
	} else {
		const char *colon = memchr(it, ':', n);
		hend = colon != NULL ? colon : end;
		if (colon != NULL && memchr(colon + 1, ':', (size_t)(end - colon - 1))) {
			set_err(err, errlen, "server \"%.*s\": an IPv6 address must be in "
				"brackets, e.g. [::1]:2181", (int)n, it);
			return -1;
		}
		if (hend == it) {
			set_err(err, errlen, "server \"%.*s\": empty host name", (int)n, it);
			return -1;
		}
		for (const char *c = it; c < hend; c++) {
			if (!is_host_char(*c)) {
				set_err(err, errlen, "server \"%.*s\": bad character '%c' in "
					"host name", (int)n, it, *c);
				return -1;
			}
		}
	}
	*hostlen = (size_t)(hend - it);
	*portp = hend != end ? hend + 1 : NULL;
	return 0;
}

/* Append the normalised "host:port" of item it..it+n to out. */
static int append_item(char *out, size_t *len, const char *it, size_t n,
		       char *err, size_t errlen)
{
	size_t hostlen;
	const char *ps;
	unsigned port = DEFAULT_PORT;

	if (split_item(it, n, &hostlen, &ps, err, errlen) != 0)
		return -1;
	if (ps != NULL && !parse_port(ps, (size_t)(it + n - ps), &port)) {
		set_err(err, errlen, "server \"%.*s\": bad port \"%.*s\" "
			"(expected a number 1..65535)", (int)n, it, (int)(it + n - ps), ps);
		return -1;
	}
	if (*len > 0)
		out[(*len)++] = ',';
	memcpy(out + *len, it, hostlen);
	*len += hostlen;
	*len += (size_t)sprintf(out + *len, ":%u", port);
	return 0;
}

static bool is_item_blank(char c)
{
	return c == ' ' || c == '\t';
}

char *source_normalize_servers(const char *servers, char *err, size_t errlen)
{
	size_t n = strlen(servers), len = 0;
	const char *p = servers;

	if (strspn(servers, " \t") == n) {
		set_err(err, errlen, "empty server list");
		return NULL;
	}
	/* Each item is at least one byte and grows by at most ":65535". */
	char *out = malloc(7 * n + 8);
	if (out == NULL) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	for (;;) {
		size_t c = strcspn(p, ",");
		const char *s = p, *e = p + c;
		while (s < e && is_item_blank(*s))
			s++;
		while (e > s && is_item_blank(e[-1]))
			e--;
		if (s == e) {
			set_err(err, errlen, "empty item in server list \"%s\"", servers);
			goto fail;
		}
		if (append_item(out, &len, s, (size_t)(e - s), err, errlen) != 0)
			goto fail;
		if (p[c] == '\0')
			break;
		p += c + 1;
	}
	out[len] = '\0';
	return out;
fail:
	free(out);
	return NULL;
}

/* --- URLs --------------------------------------------------------------- */

enum url_kind { URL_NONE, URL_ABSOLUTE, URL_RELATIVE };

struct url {
	enum url_kind kind;
	const char *authority;  /* servers text, not NUL-terminated */
	size_t authority_len;   /* 0: none in the URL */
	const char *path;       /* NUL-terminated; relative to the config path if URL_RELATIVE */
};

static bool is_scheme_char(char c)
{
	return isalnum((unsigned char)c) || c == '+' || c == '-' || c == '.';
}

static int parse_url(const char *url, struct url *u, char *err, size_t errlen)
{
	memset(u, 0, sizeof(*u));
	if (url == NULL)
		return 0;
	size_t sl = 0;
	while (is_scheme_char(url[sl]))
		sl++;
	if (sl == 0 || url[sl] != ':' || !isalpha((unsigned char)url[0])) {
		set_err(err, errlen, "SOURCE \"%s\" is not a ZooKeeper URL (expected "
			URL_FORMS ")", url);
		return -1;
	}
	if (!(sl == 9 && strncasecmp(url, "zookeeper", 9) == 0) &&
	    !(sl == 2 && strncasecmp(url, "zk", 2) == 0)) {
		set_err(err, errlen, "SOURCE \"%s\": unknown scheme \"%.*s:\" (expected "
			"zookeeper: or zk:)", url, (int)sl, url);
		return -1;
	}
	const char *rest = url + sl + 1;
	if (rest[0] == '/' && rest[1] == '/') {
		u->kind = URL_ABSOLUTE;
		u->authority = rest + 2;
		u->authority_len = strcspn(rest + 2, "/");
		u->path = rest + 2 + u->authority_len;
	} else if (rest[0] == '/') {
		u->kind = URL_ABSOLUTE;
		u->path = rest;
	} else if (rest[0] == '.' && (rest[1] == '\0' || rest[1] == '/')) {
		u->kind = URL_RELATIVE;
		u->path = rest + 1;
	} else {
		set_err(err, errlen, "SOURCE \"%s\": malformed URL (expected " URL_FORMS ")",
			url);
		return -1;
	}
	return 0;
}

/* --- resolution ---------------------------------------------------------- */

static const char *section_name(const struct source_input *in)
{
	return in->section != NULL ? in->section : "zookeeper";
}

/* Normalise servers; on error, err = "WHERE: why". */
static char *servers_from(const char *text, size_t n, const char *where,
			  char *err, size_t errlen)
{
	char msg[MSG_MAX];
	char *copy = strndup(text, n);

	if (copy == NULL) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	char *s = source_normalize_servers(copy, msg, sizeof(msg));
	free(copy);
	if (s == NULL)
		set_err(err, errlen, "%s: %s", where, msg);
	return s;
}

static void no_servers(const struct source_input *in, char *err, size_t errlen)
{
	char url[MSG_MAX], conf[MSG_MAX];

	if (in->url != NULL)
		snprintf(url, sizeof(url), "not in the URL \"%s\"", in->url);
	else
		snprintf(url, sizeof(url), "not in the URL (none given)");
	if (in->conf_file != NULL)
		snprintf(conf, sizeof(conf), "not in [%s] of %s", section_name(in),
			 in->conf_file);
	else
		snprintf(conf, sizeof(conf), "not in a config file (none was read)");
	set_err(err, errlen, "no ZooKeeper servers: %s, %s, and $ASAB_ZOOKEEPER_SERVERS "
		"is not set", url, conf);
}

static int resolve_servers(const struct source_input *in, const struct url *u,
			   struct source *out, char *err, size_t errlen)
{
	char where[MSG_MAX];

	if (u->authority_len > 0) {
		snprintf(where, sizeof(where), "SOURCE \"%s\"", in->url);
		out->servers = servers_from(u->authority, u->authority_len, where, err, errlen);
		out->servers_origin = "URL";
	} else if (in->conf_servers != NULL) {
		snprintf(where, sizeof(where), "servers in [%s] of %s", section_name(in),
			 in->conf_file != NULL ? in->conf_file : "the config file");
		out->servers = servers_from(in->conf_servers, strlen(in->conf_servers),
					    where, err, errlen);
		out->servers_origin = "config";
	} else if (in->env_servers != NULL) {
		out->servers = servers_from(in->env_servers, strlen(in->env_servers),
					    "$ASAB_ZOOKEEPER_SERVERS", err, errlen);
		out->servers_origin = "environment";
	} else {
		no_servers(in, err, errlen);
		return -1;
	}
	return out->servers != NULL ? 0 : -1;
}

/* Normalise a path; on error, err = "WHERE: why". */
static char *path_from(const char *path, const char *where, char *err, size_t errlen)
{
	char msg[MSG_MAX];
	char *p = source_normalize_path(path, msg, sizeof(msg));

	if (p == NULL)
		set_err(err, errlen, "%s: %s", where, msg);
	return p;
}

static char *config_path(const struct source_input *in, char *err, size_t errlen)
{
	char where[MSG_MAX];

	snprintf(where, sizeof(where), "path in [%s] of %s", section_name(in),
		 in->conf_file != NULL ? in->conf_file : "the config file");
	return path_from(in->conf_path != NULL ? in->conf_path : DEFAULT_CONF_PATH,
			 where, err, errlen);
}

/* Config path + the URL's "./..." part. */
static char *joined_path(const struct source_input *in, const struct url *u,
			 char *err, size_t errlen)
{
	char where[MSG_MAX];

	snprintf(where, sizeof(where), "SOURCE \"%s\"", in->url);
	char *rel = path_from(u->path, where, err, errlen);
	if (rel == NULL)
		return NULL;
	char *base = config_path(in, err, errlen);
	if (base == NULL || strcmp(rel, "/") == 0) {
		free(rel);
		return base;
	}
	if (strcmp(base, "/") == 0) {
		free(base);
		return rel;
	}
	size_t bl = strlen(base), rl = strlen(rel);
	char *p = malloc(bl + rl + 1);
	if (p == NULL)
		set_err(err, errlen, "out of memory");
	else
		memcpy(mempcpy(p, base, bl), rel, rl + 1);
	free(base);
	free(rel);
	return p;
}

static char *resolve_path(const struct source_input *in, const struct url *u,
			  char *err, size_t errlen)
{
	char where[MSG_MAX];

	switch (u->kind) {
	case URL_ABSOLUTE:
		snprintf(where, sizeof(where), "SOURCE \"%s\"", in->url);
		return path_from(u->path, where, err, errlen);
	case URL_RELATIVE:
		return joined_path(in, u, err, errlen);
	case URL_NONE:
	default:
		return config_path(in, err, errlen);
	}
}

int source_resolve(const struct source_input *in, struct source *out,
		   char *err, size_t errlen)
{
	struct url u;

	memset(out, 0, sizeof(*out));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (parse_url(in->url, &u, err, errlen) != 0)
		return -1;
	if (resolve_servers(in, &u, out, err, errlen) != 0)
		goto fail;
	out->base_path = resolve_path(in, &u, err, errlen);
	if (out->base_path == NULL)
		goto fail;
	return 0;
fail:
	source_free(out);
	return -1;
}

void source_free(struct source *s)
{
	if (s == NULL)
		return;
	free(s->servers);
	free(s->base_path);
	memset(s, 0, sizeof(*s));
}
