// CProbes: USDT static tracepoints (provider `job_processor`) for perf, bpftrace and SystemTap.
//
// Why a shim at all: the probes are assembler macros from <sys/sdt.h> (Debian's
// systemtap-sdt-dev), which Swift cannot call. Each function fires exactly one probe; there is
// no logic in C.
//
// Each probe has a semaphore (a counter in the `.probes` section that a tracer increments when
// it attaches: perf, bpftrace and SystemTap do), and a `..._enabled()` check reading it. Swift
// calls a probe only when its check is true, so an untraced worker pays one load and one
// untaken branch per site and never builds the probe's arguments.
#ifndef CPROBES_H
#define CPROBES_H

#include <stdint.h>

// The semaphores, defined in CProbes.c; named as <sys/sdt.h> requires: provider_probe_semaphore.
extern volatile unsigned short job_processor_job_claim_semaphore;
extern volatile unsigned short job_processor_handler_start_semaphore;
extern volatile unsigned short job_processor_handler_end_semaphore;
extern volatile unsigned short job_processor_store_round_trip_semaphore;

// True while a tracer listens to the probe: inline, so that the check is a load, not a call.
static inline int cprobes_job_claim_enabled(void) { return __builtin_expect(job_processor_job_claim_semaphore != 0, 0); }
static inline int cprobes_handler_start_enabled(void) { return __builtin_expect(job_processor_handler_start_semaphore != 0, 0); }
static inline int cprobes_handler_end_enabled(void) { return __builtin_expect(job_processor_handler_end_semaphore != 0, 0); }
static inline int cprobes_store_round_trip_enabled(void) {
    return __builtin_expect(job_processor_store_round_trip_semaphore != 0, 0);
}

// job_processor:job_claim(jobs, running): a claim came back with `jobs` jobs while `running`
// handlers were running.
void cprobes_job_claim(int64_t jobs, int64_t running);
// job_processor:handler_start(id, name): a job's handler starts; its id (24 hex digits) and name.
void cprobes_handler_start(const char *id, const char *name);
// job_processor:handler_end(id, status, duration_ns): a handler ended; the job's new status
// (finished, errored, killed, paused...) and the handler's run time in nanoseconds.
void cprobes_handler_end(const char *id, const char *status, int64_t duration_ns);
// job_processor:store_round_trip(duration_ns, failed): a store call came back after
// `duration_ns` nanoseconds; `failed` is 1 when it threw.
void cprobes_store_round_trip(int64_t duration_ns, int32_t failed);

#endif
