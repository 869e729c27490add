// A small thread pool for kernel-sized work (microseconds): workers spin briefly on a
// generation counter, then sleep on a condition variable, so back-to-back matmuls of a
// decode step cost no syscalls while an idle server costs no CPU.
#include "ckernels.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

enum { SPIN_ITERATIONS = 1 << 17 };  // ~100-300 µs of pause instructions

struct tern_pool {
    int nthreads;
    pthread_t *threads;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    atomic_uint generation;   // bumped once per job
    atomic_int next_task;     // next task index to hand out
    atomic_int pending;       // workers still inside the current job
    atomic_int sleeping;      // workers blocked on `wake`
    atomic_int stop;
    tern_task_fn fn;
    void *ctx;
    int ntasks;
};

static void run_tasks(tern_pool *p) {
    for (;;) {
        int t = atomic_fetch_add_explicit(&p->next_task, 1, memory_order_relaxed);
        if (t >= p->ntasks) break;
        p->fn(p->ctx, t);
    }
}

static void *worker_main(void *arg) {
    tern_pool *p = arg;
    unsigned seen = 0;
    for (;;) {
        unsigned g;
        int spins = 0;
        while ((g = atomic_load_explicit(&p->generation, memory_order_acquire)) == seen && !atomic_load(&p->stop)) {
            if (++spins < SPIN_ITERATIONS) { CPU_RELAX(); continue; }
            pthread_mutex_lock(&p->mutex);
            atomic_fetch_add(&p->sleeping, 1);
            while (atomic_load(&p->generation) == seen && !atomic_load(&p->stop)) pthread_cond_wait(&p->wake, &p->mutex);
            atomic_fetch_sub(&p->sleeping, 1);
            pthread_mutex_unlock(&p->mutex);
            spins = 0;
        }
        if (atomic_load(&p->stop)) return NULL;
        seen = g;
        run_tasks(p);
        atomic_fetch_sub_explicit(&p->pending, 1, memory_order_release);
    }
}

tern_pool *tern_pool_create(int nthreads) {
    if (nthreads < 1) nthreads = 1;
    tern_pool *p = calloc(1, sizeof(tern_pool));
    if (!p) return NULL;
    p->nthreads = nthreads;
    pthread_mutex_init(&p->mutex, NULL);
    pthread_cond_init(&p->wake, NULL);
    p->threads = calloc((size_t)nthreads, sizeof(pthread_t));
    for (int i = 0; i < nthreads - 1; i++) {
        if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0) { p->nthreads = i + 1; break; }
    }
    return p;
}

void tern_pool_destroy(tern_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mutex);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mutex);
    for (int i = 0; i < p->nthreads - 1; i++) pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mutex);
    free(p->threads);
    free(p);
}

int tern_pool_size(const tern_pool *p) { return p ? p->nthreads : 1; }

void tern_pool_run(tern_pool *p, tern_task_fn fn, void *ctx, int ntasks) {
    if (ntasks <= 0) return;
    if (!p || p->nthreads == 1 || ntasks == 1) {
        for (int t = 0; t < ntasks; t++) fn(ctx, t);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    p->ntasks = ntasks;
    atomic_store_explicit(&p->next_task, 0, memory_order_relaxed);
    atomic_store_explicit(&p->pending, p->nthreads - 1, memory_order_relaxed);
    atomic_fetch_add(&p->generation, 1);  // seq_cst: ordered before the `sleeping` check
    if (atomic_load(&p->sleeping) > 0) {
        pthread_mutex_lock(&p->mutex);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->mutex);
    }
    run_tasks(p);
    while (atomic_load_explicit(&p->pending, memory_order_acquire) > 0) CPU_RELAX();
}
