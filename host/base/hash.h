/* SHA-256 of files and buffers (OpenSSL EVP), as lowercase hex. */
#ifndef GD_HASH_H
#define GD_HASH_H

#include <stddef.h>

#include "base/err.h"

int gd_sha256_file(const char *path, char hex[65], gd_err *err);
void gd_sha256_buf(const void *buf, size_t len, char hex[65]);

#endif
