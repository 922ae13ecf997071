/* Files: whole-file reads with a size limit, copies, directories. Blocking
 * I/O: call these at start-up, on a reload, or off the loop's thread. */
#ifndef GD_FILE_H
#define GD_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"

/* Reads the whole file into a NUL-terminated buffer (the caller frees
 * *out). Pipes and /proc files work too (size unknown up front). max is the
 * largest size accepted, 0 for no limit. Errors: GD_ENOENT when the file (or
 * a directory on the way) does not exist, GD_ERANGE when it is larger than
 * max, GD_EIO, GD_ENOMEM; err names the path. */
int gd_file_read(const char *path, size_t max, char **out, size_t *out_len, gd_err *err);

/* gd_file_read that can be stopped: when a signal interrupts a blocking
 * open or read (a FIFO whose writer stalls) and *cancel is set, it returns
 * GD_ECANCELED. The caller interrupts it with pthread_kill and a handler
 * installed without SA_RESTART. */
int gd_file_read_cancel(const char *path, size_t max, const volatile int *cancel, char **out, size_t *out_len,
                        gd_err *err);

/* Copies src to dst (created or truncated, mode 0600). */
int gd_file_copy(const char *src, const char *dst, gd_err *err);

/* Replaces path with data durably: path.tmp written (mode 0600, no
 * symlink followed), fsync'd, closed, renamed over path, and the directory
 * fsync'd, so a crash leaves the old file or the new, never half of one.
 * On failure path is untouched and path.tmp removed; err names the step. */
int gd_file_write_durable(const char *path, const void *data, size_t len, gd_err *err);

/* gd_file_write_durable for a path that several processes may write at
 * once (two pods given the same shard): each writes its own temporary file
 * (path.XXXXXX, mode 0644) and renames it over path, so a reader sees one
 * writer's whole file, never a mix. */
int gd_file_publish(const char *path, const void *data, size_t len, gd_err *err);

/* mkdir -p with mode for the directories it creates. */
int gd_mkdirs(const char *path, mode_t mode, gd_err *err);

/* Removes the regular files directly inside dir, then dir. */
void gd_rmdir_flat(const char *dir);

#endif
