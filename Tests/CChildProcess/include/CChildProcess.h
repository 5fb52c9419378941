#ifndef C_CHILD_PROCESS_H
#define C_CHILD_PROCESS_H

#include <spawn.h>

/// posix_spawn_file_actions_addclosefrom_np: glibc declares it only under _GNU_SOURCE, which
/// Swift's Glibc module is not built with.
int c_child_process_addclosefrom(posix_spawn_file_actions_t *actions, int from);

/// pipe2(fds, O_CLOEXEC), for the same reason.
int c_child_process_pipe_cloexec(int fds[2]);

#endif
