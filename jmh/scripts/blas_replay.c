// blas_replay: times a workload's GEMM-shaped calls on a native BLAS (OpenBLAS or BLIS), to
// compare the simd backend's channel mixes with the best tuned code this machine has, on the
// same shapes. blas-ceiling.sh builds it and feeds it the calls ProfileWorkload lists.
//
//   blas_replay REPS < spec      spec lines: "op B cin cout plane calls", one per call shape
//   blas_replay --peak REPS      a 1536^3 sgemm: the rate tuned code reaches on this machine
//
// ops, row-major, per sample b (x[b] is cin x plane, y[b] cout x plane, a cout x cin):
//   mix   y[b] = a x[b]                       mix1  y = x a^T     (plane 1: x is B x cin)
//   dx    dx[b] = a^T dy[b]                   dx1   dx = dy a
//   da    da += dy[b] x[b]^T over samples     da1   da = dy^T x
// Every call gets buffers of its own, so a call whose operands exceed the caches reads them from
// memory as the workload does. Threads: OPENBLAS_NUM_THREADS or BLIS_NUM_THREADS.
// Prints one line per spec line (median ms over REPS, after 3 warm-ups) and the total.
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAXLINES = 256, MAXREPS = 1000 };

typedef struct {
    char op[8];
    int B, cin, cout, plane, calls;
    float **x, **y, **a; // per call
    double ms[MAXREPS];
} Line;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *p, const void *q) {
    double x = *(const double *)p, y = *(const double *)q;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, n, sizeof(double), cmp);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static float *randoms(size_t n) {
    float *p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
    if (!p) {
        fprintf(stderr, "blas_replay: out of memory (%zu floats)\n", n);
        exit(2);
    }
    for (size_t i = 0; i < n; i++) p[i] = (float)rand() / RAND_MAX - 0.5f;
    return p;
}

// Sizes of (x, y) for one call; a is cout x cin.
static void sizes(const Line *l, size_t *nx, size_t *ny) {
    size_t s = (size_t)l->B * l->plane;
    int dx = l->op[1] == 'x';
    // mix: x (cin) in, y (cout) out; dx: dy (cout) in x, dx (cin) out in y; da: x (cin), dy (cout) in y
    *nx = s * (dx ? l->cout : l->cin);
    *ny = s * (dx ? l->cin : l->cout);
}

static void run(const Line *l, int k) {
    const float *x = l->x[k], *a = l->a[k];
    float *y = l->y[k];
    int B = l->B, ci = l->cin, co = l->cout, P = l->plane;
    if (!strcmp(l->op, "mix"))
        for (int b = 0; b < B; b++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, co, P, ci, 1, a, ci, x + (size_t)b * ci * P, P, 0,
                        y + (size_t)b * co * P, P);
    else if (!strcmp(l->op, "dx"))
        for (int b = 0; b < B; b++) // x holds dy (cout x P), y receives dx (cin x P)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ci, P, co, 1, a, ci, x + (size_t)b * co * P, P, 0,
                        y + (size_t)b * ci * P, P);
    else if (!strcmp(l->op, "da"))
        for (int b = 0; b < B; b++) // y holds dy (cout x P); a receives the sum
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, co, ci, P, 1, y + (size_t)b * co * P, P,
                        x + (size_t)b * ci * P, P, b ? 1 : 0, (float *)a, ci);
    else if (!strcmp(l->op, "mix1"))
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, co, ci, 1, x, ci, a, ci, 0, y, co);
    else if (!strcmp(l->op, "dx1")) // x holds dy (B x cout)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, ci, co, 1, x, co, a, ci, 0, y, ci);
    else if (!strcmp(l->op, "da1")) // y holds dy (B x cout)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, co, ci, B, 1, y, co, x, ci, 0, (float *)a, ci);
}

static int peak(int reps) {
    int n = 1536;
    float *a = randoms((size_t)n * n), *b = randoms((size_t)n * n), *c = randoms((size_t)n * n);
    double t[MAXREPS];
    for (int r = 0; r < reps + 3; r++) {
        double t0 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
        if (r >= 3) t[r - 3] = now() - t0;
    }
    double m = median(t, reps);
    printf("peak sgemm %d^3: %.2f ms, %.1f GFLOP/s\n", n, m * 1e3, 2.0 * n * n * n / m / 1e9);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "--peak")) return peak(argc > 2 ? atoi(argv[2]) : 10);
    int reps = argc > 1 ? atoi(argv[1]) : 10;
    if (reps < 1 || reps > MAXREPS) {
        fprintf(stderr, "blas_replay: REPS must be 1..%d\n", MAXREPS);
        return 2;
    }
    static Line lines[MAXLINES];
    int n = 0;
    char buf[256];
    while (fgets(buf, sizeof buf, stdin)) {
        if (buf[0] == '#' || buf[0] == '\n') continue;
        if (n == MAXLINES) {
            fprintf(stderr, "blas_replay: more than %d spec lines\n", MAXLINES);
            return 2;
        }
        Line *l = &lines[n];
        if (sscanf(buf, "%7s %d %d %d %d %d", l->op, &l->B, &l->cin, &l->cout, &l->plane, &l->calls) != 6 ||
            l->B < 1 || l->cin < 1 || l->cout < 1 || l->plane < 1 || l->calls < 1 ||
            (strcmp(l->op, "mix") && strcmp(l->op, "dx") && strcmp(l->op, "da") && strcmp(l->op, "mix1") &&
             strcmp(l->op, "dx1") && strcmp(l->op, "da1"))) {
            fprintf(stderr, "blas_replay: bad spec line %d: %s", n + 1, buf);
            return 2;
        }
        size_t nx, ny;
        sizes(l, &nx, &ny);
        l->x = malloc(l->calls * sizeof(float *));
        l->y = malloc(l->calls * sizeof(float *));
        l->a = malloc(l->calls * sizeof(float *));
        for (int k = 0; k < l->calls; k++) {
            l->x[k] = randoms(nx);
            l->y[k] = randoms(ny);
            l->a[k] = randoms((size_t)l->cin * l->cout);
        }
        n++;
    }
    double total[MAXREPS];
    for (int r = 0; r < reps + 3; r++) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double t0 = now();
            for (int k = 0; k < lines[i].calls; k++) run(&lines[i], k);
            double dt = now() - t0;
            sum += dt;
            if (r >= 3) lines[i].ms[r - 3] = dt * 1e3;
        }
        if (r >= 3) total[r - 3] = sum * 1e3;
    }
    double flops = 0;
    for (int i = 0; i < n; i++) {
        Line *l = &lines[i];
        double f = 2.0 * l->B * l->cin * l->cout * l->plane * l->calls, m = median(l->ms, reps);
        flops += f;
        printf("%-5s %4d x %4d -> %4d @ %6d  x%d  %9.3f ms  %6.1f GFLOP/s\n", l->op, l->B, l->cin, l->cout, l->plane,
               l->calls, m, f / m / 1e6);
    }
    double m = median(total, reps);
    printf("total %.3f GFLOP: %.3f ms (median of %d), %.1f GFLOP/s\n", flops / 1e9, m, reps, flops / m / 1e6);
    return 0;
}
