// See CURing.h: each function forwards to one liburing call or field.
#include "CURing.h"

#include <liburing.h>
#include <poll.h>

size_t curing_ring_size(void) { return sizeof(struct io_uring); }
int curing_queue_init(unsigned entries, struct io_uring *ring) { return io_uring_queue_init(entries, ring, 0); }
unsigned curing_features(const struct io_uring *ring) { return ring->features; }
void curing_queue_exit(struct io_uring *ring) { io_uring_queue_exit(ring); }

struct io_uring_sqe *curing_get_sqe(struct io_uring *ring) { return io_uring_get_sqe(ring); }
unsigned curing_sq_ready(const struct io_uring *ring) { return io_uring_sq_ready(ring); }

void curing_prep_poll_multishot(struct io_uring_sqe *sqe, int fd, unsigned mask) {
    io_uring_prep_poll_multishot(sqe, fd, mask);
}

void curing_prep_timeout_absolute(struct io_uring_sqe *sqe, struct __kernel_timespec *ts) {
    io_uring_prep_timeout(sqe, ts, 0, IORING_TIMEOUT_ABS);
}

void curing_prep_timeout_update_absolute(struct io_uring_sqe *sqe, struct __kernel_timespec *ts,
                                         uint64_t user_data) {
    io_uring_prep_timeout_update(sqe, ts, user_data, IORING_TIMEOUT_ABS);
}

void curing_sqe_set_data64(struct io_uring_sqe *sqe, uint64_t data) { io_uring_sqe_set_data64(sqe, data); }
void curing_sqe_set_flags(struct io_uring_sqe *sqe, unsigned flags) { io_uring_sqe_set_flags(sqe, flags); }

int curing_submit(struct io_uring *ring) { return io_uring_submit(ring); }
int curing_submit_and_wait(struct io_uring *ring, unsigned wait_nr) { return io_uring_submit_and_wait(ring, wait_nr); }

unsigned curing_peek_batch_cqe(struct io_uring *ring, struct io_uring_cqe **cqes, unsigned count) {
    return io_uring_peek_batch_cqe(ring, cqes, count);
}

void curing_cq_advance(struct io_uring *ring, unsigned count) { io_uring_cq_advance(ring, count); }

uint64_t curing_cqe_user_data(const struct io_uring_cqe *cqe) { return cqe->user_data; }
int32_t curing_cqe_res(const struct io_uring_cqe *cqe) { return cqe->res; }
uint32_t curing_cqe_flags(const struct io_uring_cqe *cqe) { return cqe->flags; }

const unsigned CURING_POLLIN = POLLIN;
const unsigned CURING_IOSQE_CQE_SKIP_SUCCESS = IOSQE_CQE_SKIP_SUCCESS;
const uint32_t CURING_CQE_F_MORE = IORING_CQE_F_MORE;
const unsigned CURING_FEAT_CQE_SKIP = IORING_FEAT_CQE_SKIP;
