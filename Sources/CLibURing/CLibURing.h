// See module.modulemap: included by CURing.c only, never by a module Swift imports.
#include <liburing.h>
