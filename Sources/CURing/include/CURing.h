// CURing: one-line wrappers for the liburing calls the loop's io_uring backend makes.
//
// Why a shim: liburing's helpers for filling submission entries and reading the rings are
// `static inline` functions in liburing.h, which Swift cannot call, and liburing.h itself
// cannot be imported beside Swift's Glibc module (see Sources/CLibURing/module.modulemap). So
// this header declares the ring and its entries as opaque structs and includes no liburing
// header; CURing.c includes liburing.h and forwards each function to exactly one liburing call
// or field. No logic in C: errors (liburing returns -errno) are handled in Swift
// (Loop/IOUring.swift).
#ifndef CURING_H
#define CURING_H

#include <linux/time_types.h>
#include <stddef.h>
#include <stdint.h>

struct io_uring;
struct io_uring_sqe;
struct io_uring_cqe;

// sizeof(struct io_uring): Swift allocates the ring's state, whose layout it cannot see.
size_t curing_ring_size(void);
// io_uring_queue_init(entries, ring, 0): 0 or -errno (ENOSYS, EPERM, ENOMEM...).
int curing_queue_init(unsigned entries, struct io_uring *ring);
// ring->features: the IORING_FEAT_* bits the kernel reported at setup.
unsigned curing_features(const struct io_uring *ring);
// io_uring_queue_exit: unmaps the rings and closes the ring's descriptor.
void curing_queue_exit(struct io_uring *ring);

// io_uring_get_sqe (static inline): a free submission entry, or NULL when the queue is full.
struct io_uring_sqe *curing_get_sqe(struct io_uring *ring);
// io_uring_sq_ready (static inline): entries filled but not yet submitted.
unsigned curing_sq_ready(const struct io_uring *ring);
// io_uring_prep_poll_multishot (static inline): poll `fd` for `mask` until cancelled.
void curing_prep_poll_multishot(struct io_uring_sqe *sqe, int fd, unsigned mask);
// io_uring_prep_timeout (static inline) with count 0 and IORING_TIMEOUT_ABS: completes at the
// absolute CLOCK_MONOTONIC instant `*ts`, read when the entry is submitted.
void curing_prep_timeout_absolute(struct io_uring_sqe *sqe, struct __kernel_timespec *ts);
// io_uring_prep_timeout_update (static inline) with IORING_TIMEOUT_ABS: moves the pending
// timeout submitted with `user_data` to `*ts`, read when the entry is submitted.
void curing_prep_timeout_update_absolute(struct io_uring_sqe *sqe, struct __kernel_timespec *ts,
                                         uint64_t user_data);
// io_uring_sqe_set_data64 (static inline).
void curing_sqe_set_data64(struct io_uring_sqe *sqe, uint64_t data);
// io_uring_sqe_set_flags (static inline): IOSQE_* bits.
void curing_sqe_set_flags(struct io_uring_sqe *sqe, unsigned flags);

// io_uring_submit: one io_uring_enter; the number submitted or -errno.
int curing_submit(struct io_uring *ring);
// io_uring_submit_and_wait: one io_uring_enter that submits and waits for `wait_nr`
// completions; the number submitted or -errno.
int curing_submit_and_wait(struct io_uring *ring, unsigned wait_nr);
// io_uring_peek_batch_cqe: up to `count` completions into `cqes`, without waiting.
unsigned curing_peek_batch_cqe(struct io_uring *ring, struct io_uring_cqe **cqes, unsigned count);
// io_uring_cq_advance (static inline): marks `count` completions consumed.
void curing_cq_advance(struct io_uring *ring, unsigned count);

// The fields of a completion (its struct is opaque here).
uint64_t curing_cqe_user_data(const struct io_uring_cqe *cqe);
int32_t curing_cqe_res(const struct io_uring_cqe *cqe);
uint32_t curing_cqe_flags(const struct io_uring_cqe *cqe);

// Constants from liburing's headers, which Swift cannot see.
extern const unsigned CURING_POLLIN;
extern const unsigned CURING_IOSQE_CQE_SKIP_SUCCESS;
extern const uint32_t CURING_CQE_F_MORE;
extern const unsigned CURING_FEAT_CQE_SKIP;

#endif
