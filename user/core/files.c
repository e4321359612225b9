// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Private output files: see files.h */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "files.h"

int ta_open_private_fd(const char *path, bool append, bool nonblock)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (append ? O_APPEND : O_TRUNC) |
			    (nonblock ? O_NONBLOCK : 0), 0600);
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

FILE *ta_fopen_private(const char *path, bool append)
{
	int fd = ta_open_private_fd(path, append, false);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, append ? "a" : "w");
	if (!f) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return f;
}

const char *ta_open_error(int err)
{
	return err == ELOOP ? "it is a symbolic link: refusing to write through it" : strerror(err);
}
