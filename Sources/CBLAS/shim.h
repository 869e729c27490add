// OpenBLAS's CBLAS interface plus its thread-count controls (Debian: libopenblas-dev).
#include <cblas.h>
