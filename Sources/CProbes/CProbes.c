// One probe per function: see include/CProbes.h. _SDT_HAS_SEMAPHORES makes each probe's note
// carry its semaphore's address, which the tracer increments while attached.
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

#include "CProbes.h"

volatile unsigned short job_processor_job_claim_semaphore __attribute__((section(".probes")));
volatile unsigned short job_processor_handler_start_semaphore __attribute__((section(".probes")));
volatile unsigned short job_processor_handler_end_semaphore __attribute__((section(".probes")));
volatile unsigned short job_processor_store_round_trip_semaphore __attribute__((section(".probes")));

void cprobes_job_claim(int64_t jobs, int64_t running) { DTRACE_PROBE2(job_processor, job_claim, jobs, running); }

void cprobes_handler_start(const char *id, const char *name) { DTRACE_PROBE2(job_processor, handler_start, id, name); }

void cprobes_handler_end(const char *id, const char *status, int64_t duration_ns) {
    DTRACE_PROBE3(job_processor, handler_end, id, status, duration_ns);
}

void cprobes_store_round_trip(int64_t duration_ns, int32_t failed) {
    DTRACE_PROBE2(job_processor, store_round_trip, duration_ns, failed);
}
