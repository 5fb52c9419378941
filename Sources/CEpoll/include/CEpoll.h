// CEpoll: one-line wrappers for the Linux event syscalls the loop needs.
//
// Why a shim at all: on this toolchain Swift's Glibc module does not import <sys/epoll.h>,
// <sys/timerfd.h>, <sys/eventfd.h> or <sys/signalfd.h>, so their functions and constants are
// invisible to Swift. Every function here forwards to exactly one libc call; there is no logic
// in C. Error handling (errno, EINTR) happens in Swift (Loop/Syscall.swift).
#ifndef CEPOLL_H
#define CEPOLL_H

#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>

// epoll(7): the header is not imported by Swift's Glibc module.
int cepoll_create(void);
int cepoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
// Fills `events`/`datas` arrays (struct epoll_event is packed on x86_64, which Swift imports
// poorly, so the shim unpacks it into two plain arrays).
int cepoll_wait(int epfd, uint32_t *events, uint64_t *datas, int maxevents, int timeout_ms);

// timerfd_create(2)/timerfd_settime(2) on CLOCK_MONOTONIC: not imported by Swift's Glibc.
int cepoll_timerfd_create(void);
// Arms `fd` to fire once at the absolute CLOCK_MONOTONIC instant `deadline_ns`; 0 disarms.
int cepoll_timerfd_arm_absolute(int fd, uint64_t deadline_ns);

// eventfd(2): not imported by Swift's Glibc.
int cepoll_eventfd_create(void);

// signalfd(2) for `signals` (sigset_t is built here: its macros do not import). The signals must
// also be blocked in every thread (cepoll_block_signals) for the signalfd to receive them.
int cepoll_signalfd_create(const int *signals, int count);
// Reads one pending signal's number from a signalfd, or -1 with errno set.
int cepoll_signalfd_read(int fd);
// Blocks `signals` in the calling thread's mask (pthread_sigmask with a sigset built here,
// because sigset_t manipulation macros do not import).
int cepoll_block_signals(const int *signals, int count);

// pthread_setname_np(pthread_self(), name): a GNU extension (_GNU_SOURCE), not imported by
// Swift's Glibc. Names the loop thread for ps/top/gdb; `name` must fit in 15 bytes.
int cepoll_set_thread_name(const char *name);

// The monotonic clock in nanoseconds, the clock the timerfd is armed on.
uint64_t cepoll_monotonic_now_ns(void);

// Constants that Swift cannot see through the macros above.
static const uint32_t CEPOLL_IN = EPOLLIN;
static const uint32_t CEPOLL_OUT = EPOLLOUT;
static const uint32_t CEPOLL_ERR = EPOLLERR;
static const uint32_t CEPOLL_HUP = EPOLLHUP;
static const int CEPOLL_CTL_ADD = EPOLL_CTL_ADD;
static const int CEPOLL_CTL_MOD = EPOLL_CTL_MOD;
static const int CEPOLL_CTL_DEL = EPOLL_CTL_DEL;

#endif
