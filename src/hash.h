/*
 * hash — the one string hash of the tables (node.c paths, readlog.c):
 * 64-bit FNV-1a. Not for anything an attacker chooses to collide.
 */
#ifndef ZKFS_HASH_H
#define ZKFS_HASH_H

#include <stdint.h>

static inline uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

#endif
