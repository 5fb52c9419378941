// CMongoC: libmongoc and libbson from Debian, plus the facts Swift cannot see.
//
// bson_t and bson_iter_t are declared 128-byte aligned, so Swift imports them only as
// OpaquePointer and cannot allocate them; Swift allocates aligned raw storage itself, using the
// size and alignment reported here. No logic: each function returns one compile-time constant.
#ifndef CMONGOC_SHIM_H
#define CMONGOC_SHIM_H

#include <mongoc/mongoc.h>
#include <stdalign.h>

static inline size_t cmongoc_bson_size(void) { return sizeof(bson_t); }
static inline size_t cmongoc_bson_alignment(void) { return alignof(bson_t); }
static inline size_t cmongoc_bson_iter_size(void) { return sizeof(bson_iter_t); }
static inline size_t cmongoc_bson_iter_alignment(void) { return alignof(bson_iter_t); }

#endif
