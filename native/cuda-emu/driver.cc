// The emulated CUDA driver: the driver API calls the cuda backend and JCuda make, on host
// memory and the CPU. Loaded in place of libcuda.so.1 (its SONAME), before JCuda's native
// library, only when -Dnfn4j.cudaEmulation=true asks for it.
//
// Execution model: every call runs to completion before it returns, in call order, whatever the
// stream (a valid order of any program that waits for what it needs: events and stream waits
// then have nothing left to wait for). A stream being captured records its kernel launches,
// memsets and copies instead, and a graph launch replays them. Events hold the host clock's
// time of their record.
//
// Checks, each reported by the failing call's error code plus a message that
// nfn4j_emu_last_error returns (kernel name, grid and block):
//  * device allocations sit between guard zones filled with a NaN pattern: after every launch
//    the guards of the allocations the kernel's pointer arguments point into are verified (an
//    out-of-bounds write), and an out-of-bounds read within a guard reads NaN;
//  * fresh device memory and shared memory are poisoned with NaN patterns (shared memory at
//    every launch, and at every block under the race finder);
//  * every pointer argument of a launch, and every copy and memset, must lie in a live device
//    allocation;
//  * a barrier that not every thread reaches, or a warp exchange naming exited lanes, fails the
//    launch (scheduler.cc);
//  * the race finder (nfn4j_emu_configure): each launch also runs with the blocks and the
//    threads of every barrier interval in reverse and in shuffled order, each with its own
//    shared-memory poison and guard pattern, from the same starting memory; any difference in
//    device memory fails the launch (a race, or a read of never-written shared memory or past a
//    buffer's end).
#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "emu.h"

#ifdef NFN_EMU_ASAN
#include <sanitizer/asan_interface.h>
#endif

using nfn_emu::Dim3u;
using nfn_emu::KernelEntry;
using nfn_emu::Schedule;

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;

enum : CUresult {
    CUDA_SUCCESS = 0,
    CUDA_ERROR_INVALID_VALUE = 1,
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_NOT_INITIALIZED = 3,
    CUDA_ERROR_INVALID_DEVICE = 101,
    CUDA_ERROR_INVALID_IMAGE = 200,
    CUDA_ERROR_INVALID_CONTEXT = 201,
    CUDA_ERROR_INVALID_HANDLE = 400,
    CUDA_ERROR_NOT_FOUND = 500,
    CUDA_ERROR_NOT_READY = 600,
    CUDA_ERROR_ILLEGAL_ADDRESS = 700,
    CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
    CUDA_ERROR_LAUNCH_FAILED = 719,
    CUDA_ERROR_NOT_SUPPORTED = 801,
    CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED = 900,
    CUDA_ERROR_STREAM_CAPTURE_INVALIDATED = 901,
    CUDA_ERROR_UNKNOWN = 999,
};

namespace {

// Bit patterns: NaN as a float (and as the halves of a double), each distinct, so a value that
// came from one of them can be told apart in a message.
constexpr uint32_t GUARD_PATTERN[3] = {0xffc5a5a5u, 0x7fc5a55au, 0xffa55ac5u};  // the zones around an allocation, per schedule
constexpr uint32_t FRESH_PATTERN = 0x7fbadbadu;   // device memory never written
constexpr uint32_t SHARED_POISON[3] = {0xffffffffu, 0x7fc0ffeeu, 0xff80beefu};  // per schedule
constexpr size_t GUARD_BYTES = 4096;
constexpr const char* DEVICE_NAME = "nfn4j CPU emulation";

std::recursive_mutex g_lock;
bool g_initialized = false;
std::string g_lastError;
int g_schedules = 1;
unsigned long long g_seed = 1;
size_t g_memoryLimit = 4ull << 30, g_memoryInUse = 0;
unsigned long long g_launches = 0, g_checkedLaunches = 0, g_deviceAllocations = 0, g_graphLaunches = 0;
std::map<std::string, unsigned long long> g_launchesByKernel, g_checkedByKernel;

CUresult fail(CUresult code, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
CUresult fail(CUresult code, const char* fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    g_lastError = buf;
    return code;
}

// ---- memory ---------------------------------------------------------------------------------

struct Allocation {
    char* raw;       // guard, user bytes (rounded up to 256), guard
    size_t bytes;    // as requested
    size_t rawBytes;
    bool device;
    char* user() const { return raw + GUARD_BYTES; }
};

std::map<uintptr_t, Allocation> g_allocations;  // by user address
int g_guard = 0;  // which GUARD_PATTERN the guard zones hold now

void fill32(void* p, size_t bytes, uint32_t pattern) {
    uint32_t* w = static_cast<uint32_t*>(p);
    for (size_t i = 0; i < bytes / 4; i++) w[i] = pattern;
    char* tail = static_cast<char*>(p) + bytes / 4 * 4;
    for (size_t i = 0; i < bytes % 4; i++) tail[i] = (char)(pattern >> (8 * i));
}

// Under AddressSanitizer (the build's --asan variant) the guard zones are also poisoned for it,
// so that any access there, a read too, is reported at once with the kernel's stack.
#ifdef NFN_EMU_ASAN
void asan_guards(const Allocation& a, bool poison) {
    char* tail = a.user() + a.bytes;
    const size_t tailBytes = a.rawBytes - GUARD_BYTES - a.bytes;
    if (poison) {
        ASAN_POISON_MEMORY_REGION(a.raw, GUARD_BYTES);
        ASAN_POISON_MEMORY_REGION(tail, tailBytes);
    } else {
        ASAN_UNPOISON_MEMORY_REGION(a.raw, GUARD_BYTES);
        ASAN_UNPOISON_MEMORY_REGION(tail, tailBytes);
    }
}
#else
void asan_guards(const Allocation&, bool) {}
#endif

// The guard bytes of an allocation: [raw, user) and [user + bytes, raw + rawBytes).
bool guard_intact(const Allocation& a, long long* offset) {
    asan_guards(a, false);
    struct Repoison {
        const Allocation& a;
        ~Repoison() { asan_guards(a, true); }
    } repoison{a};
    auto check = [&](const char* from, size_t n, const char* base) {
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)from[i] != (unsigned char)(GUARD_PATTERN[g_guard] >> (8 * ((from + i - a.raw) % 4)))) {
                *offset = (from + i) - base;
                return false;
            }
        return true;
    };
    const char* user = a.user();
    return check(a.raw, GUARD_BYTES, user) && check(user + a.bytes, a.rawBytes - GUARD_BYTES - a.bytes, user);
}

void fill_guards(const Allocation& a) {
    asan_guards(a, false);
    // The pattern is laid out relative to raw, so both zones hold it at the same phase.
    for (size_t i = 0; i < a.rawBytes; i++) {
        if (i >= GUARD_BYTES && i < GUARD_BYTES + a.bytes) continue;
        a.raw[i] = (char)(GUARD_PATTERN[g_guard] >> (8 * (i % 4)));
    }
    asan_guards(a, true);
}

CUresult allocate(size_t bytes, bool device, void** out) {
    if (bytes == 0) return fail(CUDA_ERROR_INVALID_VALUE, "allocation of 0 bytes");
    if (device && (bytes > g_memoryLimit || g_memoryInUse + bytes > g_memoryLimit))
        return fail(CUDA_ERROR_OUT_OF_MEMORY, "out of emulated device memory: %zu bytes requested, %zu of %zu in use", bytes, g_memoryInUse,
                    g_memoryLimit);
    const size_t rounded = (bytes + 255) / 256 * 256;
    const size_t rawBytes = GUARD_BYTES + rounded + GUARD_BYTES;
    void* raw = nullptr;
    if (posix_memalign(&raw, 4096, rawBytes) != 0) return fail(CUDA_ERROR_OUT_OF_MEMORY, "host memory exhausted allocating %zu bytes", bytes);
    Allocation a{static_cast<char*>(raw), bytes, rawBytes, device};
    fill_guards(a);
    fill32(a.user(), bytes, FRESH_PATTERN);
    g_allocations[(uintptr_t)a.user()] = a;
    if (device) {
        g_memoryInUse += bytes;
        g_deviceAllocations++;
    }
    *out = a.user();
    return CUDA_SUCCESS;
}

// The allocation holding [p, p + n), or null.
const Allocation* find(uintptr_t p, size_t n) {
    auto it = g_allocations.upper_bound(p);
    if (it == g_allocations.begin()) return nullptr;
    --it;
    const uintptr_t start = it->first;
    if (p < start || p + n > start + it->second.bytes || p + n < p) return nullptr;
    return &it->second;
}

CUresult release(uintptr_t p, bool device) {
    auto it = g_allocations.find(p);
    if (it == g_allocations.end() || it->second.device != device)
        return fail(CUDA_ERROR_INVALID_VALUE, "free of 0x%llx, which is not the start of a live %s allocation", (unsigned long long)p,
                    device ? "device" : "pinned host");
    long long off;
    const Allocation a = it->second;
    if (!guard_intact(a, &off))
        return fail(CUDA_ERROR_ILLEGAL_ADDRESS, "an allocation of %zu bytes was written out of bounds (at offset %lld), found at its free",
                    a.bytes, off);
    if (device) g_memoryInUse -= a.bytes;
    g_allocations.erase(it);
    asan_guards(a, false);
    free(a.raw);
    return CUDA_SUCCESS;
}

CUresult need_device(CUdeviceptr p, size_t n, const char* what) {
    const Allocation* a = find((uintptr_t)p, n);
    if (!a || !a->device)
        return fail(CUDA_ERROR_INVALID_VALUE, "%s: [0x%llx, +%zu bytes) is not inside one live device allocation", what, p, n);
    return CUDA_SUCCESS;
}

// ---- streams, events, graphs -------------------------------------------------------------------

struct Node {
    enum Kind { KERNEL, MEMSET32, HTOD, DTOH, DTOD } kind;
    const KernelEntry* kernel = nullptr;
    Dim3u grid{}, block{};
    std::vector<char> args;        // the argument values, packed
    std::vector<size_t> argOffsets;
    CUdeviceptr dst = 0, src = 0;  // device addresses (or host addresses for the host side of a copy)
    const void* hostSrc = nullptr;
    void* hostDst = nullptr;
    size_t count = 0;              // bytes, or words for MEMSET32
    uint32_t value = 0;
};

struct Graph {
    std::vector<Node> nodes;
};

struct Stream {
    Graph* capture = nullptr;  // non-null while captured
};

struct Event {
    bool recorded = false;
    bool timing = true;  // false: made with CU_EVENT_DISABLE_TIMING, which cuEventElapsedTime refuses
    std::chrono::steady_clock::time_point at;
};

struct Module {
    int dummy = 0;
};

struct Context {
    int device = 0;
};

Context g_context;
// The driver's current context is per host thread: cuCtxSetCurrent on each thread that calls it.
thread_local bool t_context_current = false;

std::string shape(const Node& n) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s<<<(%u, %u, %u), (%u, %u, %u)>>>", n.kernel->name, n.grid.x, n.grid.y, n.grid.z, n.block.x, n.block.y,
             n.block.z);
    return buf;
}

CUresult check_arguments(const Node& n, void** params) {
    const KernelEntry& k = *n.kernel;
    for (int i = 0; i < k.nparams; i++) {
        if (!params[i]) return fail(CUDA_ERROR_INVALID_VALUE, "%s: kernelParams[%d] is null", shape(n).c_str(), i);
        if (!k.isPointer[i]) continue;
        CUdeviceptr p;
        std::memcpy(&p, params[i], sizeof p);
        if (p == 0) continue;
        const Allocation* a = find((uintptr_t)p, 1);
        if (!a || !a->device)
            return fail(CUDA_ERROR_ILLEGAL_ADDRESS, "%s: pointer argument %d (0x%llx) is not inside a live device allocation",
                        shape(n).c_str(), i, p);
    }
    return CUDA_SUCCESS;
}

// The allocations a launch's pointer arguments point into.
std::vector<const Allocation*> touched(const Node& n, void** params) {
    std::vector<const Allocation*> out;
    for (int i = 0; i < n.kernel->nparams; i++) {
        if (!n.kernel->isPointer[i]) continue;
        CUdeviceptr p;
        std::memcpy(&p, params[i], sizeof p);
        const Allocation* a = p ? find((uintptr_t)p, 1) : nullptr;
        if (a) out.push_back(a);
    }
    return out;
}

CUresult check_guards(const Node& n, const std::vector<const Allocation*>& allocations, const char* schedule) {
    for (const Allocation* a : allocations) {
        long long off;
        if (!guard_intact(*a, &off)) {
            fill_guards(*a);
            return fail(CUDA_ERROR_ILLEGAL_ADDRESS,
                        "%s (%s schedule) wrote out of bounds: offset %lld of an allocation of %zu bytes (%s its end)", shape(n).c_str(),
                        schedule, off, a->bytes, off < 0 ? "before" : "after");
        }
    }
    return CUDA_SUCCESS;
}

// Refills the guard zones of these allocations with pattern k.
void set_guards(const std::vector<const Allocation*>& allocations, int k) {
    g_guard = k;
    for (const Allocation* a : allocations) fill_guards(*a);
}

// The contents of the allocations a launch's pointer arguments point into: all it may write.
using Snapshot = std::vector<std::vector<char>>;

Snapshot snapshot(const std::vector<const Allocation*>& allocations) {
    Snapshot s;
    s.reserve(allocations.size());
    for (const Allocation* a : allocations) s.emplace_back(a->user(), a->user() + a->bytes);
    return s;
}

void restore(const std::vector<const Allocation*>& allocations, const Snapshot& s) {
    for (size_t i = 0; i < allocations.size(); i++) std::memcpy(allocations[i]->user(), s[i].data(), allocations[i]->bytes);
}

const char* schedule_name(Schedule s) {
    return s == Schedule::FORWARD ? "forward" : s == Schedule::REVERSE ? "reverse" : "shuffled";
}

CUresult run_once(const Node& n, void** params, const std::vector<const Allocation*>& allocations, Schedule s, int poison) {
    std::string error;
    if (!nfn_emu::run_grid(*n.kernel, n.grid, n.block, params, s, g_seed, SHARED_POISON[poison], g_schedules > 1, &error))
        return fail(CUDA_ERROR_LAUNCH_FAILED, "%s (%s schedule): %s", shape(n).c_str(), schedule_name(s), error.c_str());
    return check_guards(n, allocations, schedule_name(s));
}

CUresult execute_kernel(const Node& n, void** params) {
    g_launches++;
    g_launchesByKernel[n.kernel->name]++;
    std::vector<const Allocation*> allocations = touched(n, params);
    std::sort(allocations.begin(), allocations.end());
    allocations.erase(std::unique(allocations.begin(), allocations.end()), allocations.end());
    if (g_schedules <= 1) return run_once(n, params, allocations, Schedule::FORWARD, 0);
    // The race finder: the same launch from the same memory under other schedules. A kernel
    // writes only through its pointer arguments (anything else lands in a guard zone, checked),
    // so their allocations are all that is saved, restored and compared.
    const Snapshot before = snapshot(allocations);
    CUresult r = run_once(n, params, allocations, Schedule::FORWARD, 0);
    if (r != CUDA_SUCCESS) return r;
    const Snapshot forward = snapshot(allocations);
    const Schedule others[2] = {Schedule::REVERSE, Schedule::SHUFFLE};
    for (int k = 0; k < g_schedules - 1 && k < 2; k++) {
        restore(allocations, before);
        set_guards(allocations, k + 1);  // an out-of-bounds read now reads another NaN, and the results differ
        r = run_once(n, params, allocations, others[k], k + 1);
        set_guards(allocations, 0);
        if (r != CUDA_SUCCESS) return r;
        for (size_t i = 0; i < allocations.size(); i++) {
            const Allocation& a = *allocations[i];
            const std::vector<char>& f = forward[i];
            if (std::memcmp(f.data(), a.user(), a.bytes) == 0) continue;
            size_t at = 0;
            while (f[at] == a.user()[at]) at++;
            at &= ~(size_t)3;
            uint32_t u0, u1;
            std::memcpy(&u0, f.data() + at, 4);
            std::memcpy(&u1, a.user() + at, 4);
            float f0, f1;
            std::memcpy(&f0, &u0, 4);
            std::memcpy(&f1, &u1, 4);
            restore(allocations, forward);
            return fail(CUDA_ERROR_LAUNCH_FAILED,
                        "%s: race: the result depends on the order of threads or blocks, or on memory outside the kernel's buffers or "
                        "never written (shared memory, a guard zone): byte %zu of "
                        "an allocation of %zu bytes is 0x%08x (%g) under the forward schedule, 0x%08x (%g) under the %s one",
                        shape(n).c_str(), at, a.bytes, u0, (double)f0, u1, (double)f1, schedule_name(others[k]));
        }
    }
    restore(allocations, forward);
    g_checkedLaunches++;
    g_checkedByKernel[n.kernel->name]++;
    return CUDA_SUCCESS;
}

// Packs the launch's arguments into a node that owns them, for a graph.
void pack(Node& n, void** params) {
    const KernelEntry& k = *n.kernel;
    size_t at = 0;
    for (int i = 0; i < k.nparams; i++) {
        at = (at + 7) / 8 * 8;
        n.argOffsets.push_back(at);
        at += k.sizes[i];
    }
    n.args.resize(at);
    for (int i = 0; i < k.nparams; i++) std::memcpy(n.args.data() + n.argOffsets[i], params[i], k.sizes[i]);
}

CUresult execute(const Node& n) {
    switch (n.kind) {
        case Node::KERNEL: {
            std::vector<void*> params(n.argOffsets.size());
            for (size_t i = 0; i < params.size(); i++) params[i] = const_cast<char*>(n.args.data() + n.argOffsets[i]);
            CUresult r = check_arguments(n, params.data());
            return r != CUDA_SUCCESS ? r : execute_kernel(n, params.data());
        }
        case Node::MEMSET32: {
            CUresult r = need_device(n.dst, n.count * 4, "cuMemsetD32");
            if (r == CUDA_SUCCESS) fill32(reinterpret_cast<void*>(n.dst), n.count * 4, n.value);
            return r;
        }
        case Node::HTOD: {
            CUresult r = need_device(n.dst, n.count, "cuMemcpyHtoD");
            if (r == CUDA_SUCCESS) std::memcpy(reinterpret_cast<void*>(n.dst), n.hostSrc, n.count);
            return r;
        }
        case Node::DTOH: {
            CUresult r = need_device(n.src, n.count, "cuMemcpyDtoH");
            if (r == CUDA_SUCCESS) std::memcpy(n.hostDst, reinterpret_cast<const void*>(n.src), n.count);
            return r;
        }
        case Node::DTOD: {
            CUresult r = need_device(n.src, n.count, "cuMemcpyDtoD source");
            if (r == CUDA_SUCCESS) r = need_device(n.dst, n.count, "cuMemcpyDtoD destination");
            if (r == CUDA_SUCCESS) std::memmove(reinterpret_cast<void*>(n.dst), reinterpret_cast<const void*>(n.src), n.count);
            return r;
        }
    }
    return CUDA_ERROR_UNKNOWN;
}

// Runs a node now, or records it when the stream is being captured.
CUresult submit(Stream* s, Node&& n) {
    if (s && s->capture) {
        s->capture->nodes.push_back(std::move(n));
        return CUDA_SUCCESS;
    }
    return execute(n);
}

Stream* stream(void* h) { return static_cast<Stream*>(h); }

#define LOCKED std::lock_guard<std::recursive_mutex> locked(g_lock)
#define NEED_INIT \
    if (!g_initialized) return fail(CUDA_ERROR_NOT_INITIALIZED, "cuInit has not been called")
// The calls that work in a context (allocations, copies, launches, creation of streams, events,
// modules and graphs) fail, as on a GPU, on a thread where none is current.
#define NEED_CONTEXT                                                                                                  \
    if (!t_context_current) {                                                                                         \
        std::lock_guard<std::recursive_mutex> failing(g_lock); /* fail() sets the shared last error */                \
        return fail(CUDA_ERROR_INVALID_CONTEXT, "no context is current on this thread (cuCtxSetCurrent)");           \
    }

}  // namespace

extern "C" {

#define API __attribute__((visibility("default")))

// ---- the emulator's own controls (called by the Java side through the FFM API) ---------------

// schedules: 1 runs each launch once (forward); 2 adds the reverse schedule; 3 adds a shuffled
// one (seeded) too, and each extra run is compared with the first.
API int nfn4j_emu_configure(int schedules, unsigned long long seed) {
    LOCKED;
    if (schedules < 1 || schedules > 3) return CUDA_ERROR_INVALID_VALUE;
    g_schedules = schedules;
    g_seed = seed;
    return CUDA_SUCCESS;
}

// The message of the last failed call (empty when none), truncated to cap - 1 bytes.
API int nfn4j_emu_last_error(char* buf, int cap) {
    LOCKED;
    if (cap <= 0) return (int)g_lastError.size();
    snprintf(buf, (size_t)cap, "%s", g_lastError.c_str());
    return (int)g_lastError.size();
}

API void nfn4j_emu_clear_error() {
    LOCKED;
    g_lastError.clear();
}

// Launches executed so far (all, or of one kernel when name is not null), and of those the ones
// the race finder compared under several schedules.
API unsigned long long nfn4j_emu_launches(const char* name, int checked) {
    LOCKED;
    if (!name) return checked ? g_checkedLaunches : g_launches;
    auto& m = checked ? g_checkedByKernel : g_launchesByKernel;
    auto it = m.find(name);
    return it == m.end() ? 0 : it->second;
}

API int nfn4j_emu_kernel_count() { return nfn_emu::g_kernelCount; }

API const char* nfn4j_emu_kernel_name(int i) {
    return i >= 0 && i < nfn_emu::g_kernelCount ? nfn_emu::g_kernels[i].name : nullptr;
}

// The emulated device's memory size (the allocator's out-of-memory path can be tested with a
// small one); 0 leaves it.
API unsigned long long nfn4j_emu_memory_limit(unsigned long long bytes) {
    LOCKED;
    if (bytes) g_memoryLimit = bytes;
    return g_memoryLimit;
}

API unsigned long long nfn4j_emu_memory_in_use() {
    LOCKED;
    return g_memoryInUse;
}

// cuMemAlloc calls that succeeded so far (a caching allocator in a steady loop makes none).
API unsigned long long nfn4j_emu_device_allocations() {
    LOCKED;
    return g_deviceAllocations;
}

// cuGraphLaunch calls so far.
API unsigned long long nfn4j_emu_graph_launches() {
    LOCKED;
    return g_graphLaunches;
}

// ---- initialization and the device ------------------------------------------------------------

API CUresult cuInit(unsigned int flags) {
    LOCKED;
    if (flags != 0) return fail(CUDA_ERROR_INVALID_VALUE, "cuInit flags must be 0");
    g_initialized = true;
    return CUDA_SUCCESS;
}

API CUresult cuDriverGetVersion(int* version) {
    if (!version) return CUDA_ERROR_INVALID_VALUE;
    *version = 12060;  // the driver API level JCuda 12.6 binds
    return CUDA_SUCCESS;
}

API CUresult cuDeviceGetCount(int* count) {
    LOCKED;
    NEED_INIT;
    if (!count) return CUDA_ERROR_INVALID_VALUE;
    *count = 1;
    return CUDA_SUCCESS;
}

API CUresult cuDeviceGet(CUdevice* device, int ordinal) {
    LOCKED;
    NEED_INIT;
    if (!device) return CUDA_ERROR_INVALID_VALUE;
    if (ordinal != 0) return fail(CUDA_ERROR_INVALID_DEVICE, "device %d: the emulation has one device, 0", ordinal);
    *device = 0;
    return CUDA_SUCCESS;
}

API CUresult cuDeviceGetName(char* name, int len, CUdevice device) {
    if (!name || len <= 0) return CUDA_ERROR_INVALID_VALUE;
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    snprintf(name, (size_t)len, "%s", DEVICE_NAME);
    return CUDA_SUCCESS;
}

API CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice device) {
    LOCKED;
    if (!bytes) return CUDA_ERROR_INVALID_VALUE;
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    *bytes = g_memoryLimit;
    return CUDA_SUCCESS;
}

API CUresult cuMemGetInfo_v2(size_t* freeBytes, size_t* total) {
    NEED_CONTEXT;
    LOCKED;
    if (!freeBytes || !total) return CUDA_ERROR_INVALID_VALUE;
    *total = g_memoryLimit;
    *freeBytes = g_memoryLimit - g_memoryInUse;
    return CUDA_SUCCESS;
}

// Attributes by their CUdevice_attribute numbers. The compute capability reported is 9.0: the
// device-side API the header emulates is sm_90's (32-lane warps with independent thread
// scheduling, TF32 wmma), the architecture the kernels are built for.
API CUresult cuDeviceGetAttribute(int* value, int attribute, CUdevice device) {
    if (!value) return CUDA_ERROR_INVALID_VALUE;
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    switch (attribute) {
        case 1: *value = 1024; break;         // max threads per block
        case 2: case 3: *value = 1024; break;  // max block dim x, y
        case 4: *value = 64; break;           // max block dim z
        case 5: *value = 2147483647; break;   // max grid dim x
        case 6: case 7: *value = 65535; break;
        case 8: *value = 49152; break;        // shared memory per block
        case 10: *value = 32; break;          // warp size
        case 16: *value = 1; break;           // multiprocessors
        case 75: *value = 9; break;           // compute capability major
        case 76: *value = 0; break;           // minor
        default: *value = 0; break;
    }
    return CUDA_SUCCESS;
}

// ---- contexts -----------------------------------------------------------------------------------

API CUresult cuDevicePrimaryCtxRetain(void** context, CUdevice device) {
    LOCKED;
    NEED_INIT;
    if (!context) return CUDA_ERROR_INVALID_VALUE;
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    *context = &g_context;
    return CUDA_SUCCESS;
}

API CUresult cuDevicePrimaryCtxRelease_v2(CUdevice device) { return device == 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_DEVICE; }

API CUresult cuCtxSetCurrent(void* context) {
    LOCKED;
    if (context && context != &g_context) return fail(CUDA_ERROR_INVALID_CONTEXT, "not the emulated device's context");
    t_context_current = context != nullptr;
    return CUDA_SUCCESS;
}

API CUresult cuCtxGetCurrent(void** context) {
    if (!context) return CUDA_ERROR_INVALID_VALUE;
    *context = t_context_current ? &g_context : nullptr;
    return CUDA_SUCCESS;
}

API CUresult cuCtxSynchronize() {
    NEED_CONTEXT;
    return CUDA_SUCCESS;
}

// ---- memory ---------------------------------------------------------------------------------------

API CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t bytes) {
    NEED_CONTEXT;
    LOCKED;
    NEED_INIT;
    if (!p) return CUDA_ERROR_INVALID_VALUE;
    void* out;
    CUresult r = allocate(bytes, true, &out);
    if (r == CUDA_SUCCESS) *p = (CUdeviceptr)(uintptr_t)out;
    return r;
}

API CUresult cuMemFree_v2(CUdeviceptr p) {
    NEED_CONTEXT;
    LOCKED;
    return release((uintptr_t)p, true);
}

API CUresult cuMemAllocHost_v2(void** p, size_t bytes) {
    NEED_CONTEXT;
    LOCKED;
    NEED_INIT;
    if (!p) return CUDA_ERROR_INVALID_VALUE;
    return allocate(bytes, false, p);
}

API CUresult cuMemHostAlloc(void** p, size_t bytes, unsigned int flags) {
    (void)flags;
    return cuMemAllocHost_v2(p, bytes);
}

API CUresult cuMemFreeHost(void* p) {
    LOCKED;
    return release((uintptr_t)p, false);
}

API CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned int value, size_t n, void* s) {
    NEED_CONTEXT;
    LOCKED;
    Node node{Node::MEMSET32};
    node.dst = dst;
    node.count = n;
    node.value = value;
    return submit(stream(s), std::move(node));
}

API CUresult cuMemsetD32_v2(CUdeviceptr dst, unsigned int value, size_t n) { return cuMemsetD32Async(dst, value, n, nullptr); }

// A copy node: device addresses for the device sides, host pointers for the host side.
static CUresult copy(Node::Kind kind, CUdeviceptr dst, CUdeviceptr src, const void* hostSrc, void* hostDst, size_t bytes, void* s) {
    NEED_CONTEXT;
    LOCKED;
    if ((kind == Node::HTOD && !hostSrc && bytes) || (kind == Node::DTOH && !hostDst && bytes)) return CUDA_ERROR_INVALID_VALUE;
    Node node{kind};
    node.dst = dst;
    node.src = src;
    node.hostSrc = hostSrc;
    node.hostDst = hostDst;
    node.count = bytes;
    return submit(stream(s), std::move(node));
}

API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t bytes, void* s) {
    return copy(Node::HTOD, dst, 0, src, nullptr, bytes, s);
}

API CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t bytes) { return cuMemcpyHtoDAsync_v2(dst, src, bytes, nullptr); }

API CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t bytes, void* s) {
    return copy(Node::DTOH, 0, src, nullptr, dst, bytes, s);
}

API CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t bytes) { return cuMemcpyDtoHAsync_v2(dst, src, bytes, nullptr); }

API CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes, void* s) {
    return copy(Node::DTOD, dst, src, nullptr, nullptr, bytes, s);
}

API CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes) { return cuMemcpyDtoDAsync_v2(dst, src, bytes, nullptr); }

// ---- streams and events ---------------------------------------------------------------------------

API CUresult cuStreamCreate(void** s, unsigned int flags) {
    NEED_CONTEXT;
    (void)flags;
    if (!s) return CUDA_ERROR_INVALID_VALUE;
    *s = new Stream();
    return CUDA_SUCCESS;
}

API CUresult cuStreamCreateWithPriority(void** s, unsigned int flags, int priority) {
    NEED_CONTEXT;
    (void)priority;
    return cuStreamCreate(s, flags);
}

API CUresult cuStreamDestroy_v2(void* s) {
    LOCKED;
    if (!s) return CUDA_ERROR_INVALID_HANDLE;
    if (stream(s)->capture) return fail(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, "destroying a stream while it is captured");
    delete stream(s);
    return CUDA_SUCCESS;
}

API CUresult cuStreamSynchronize(void* s) {
    LOCKED;
    if (s && stream(s)->capture) return fail(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, "cuStreamSynchronize on a stream being captured");
    return CUDA_SUCCESS;
}

API CUresult cuStreamQuery(void* s) { return cuStreamSynchronize(s); }

API CUresult cuStreamWaitEvent(void* s, void* e, unsigned int flags) {
    (void)s;
    (void)flags;
    return e ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

API CUresult cuEventCreate(void** e, unsigned int flags) {
    NEED_CONTEXT;
    if (!e) return CUDA_ERROR_INVALID_VALUE;
    Event* ev = new Event();
    ev->timing = !(flags & 0x2);  // CU_EVENT_DISABLE_TIMING
    *e = ev;
    return CUDA_SUCCESS;
}

API CUresult cuEventDestroy_v2(void* e) {
    if (!e) return CUDA_ERROR_INVALID_HANDLE;
    delete static_cast<Event*>(e);
    return CUDA_SUCCESS;
}

API CUresult cuEventRecord(void* e, void* s) {
    LOCKED;
    if (!e) return CUDA_ERROR_INVALID_HANDLE;
    if (s && stream(s)->capture) return fail(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, "cuEventRecord in a captured stream is not emulated");
    Event* ev = static_cast<Event*>(e);
    ev->recorded = true;
    ev->at = std::chrono::steady_clock::now();
    return CUDA_SUCCESS;
}

API CUresult cuEventRecordWithFlags(void* e, void* s, unsigned int flags) {
    (void)flags;
    return cuEventRecord(e, s);
}

API CUresult cuEventSynchronize(void* e) { return e ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE; }

API CUresult cuEventQuery(void* e) { return e ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE; }

API CUresult cuEventElapsedTime(float* ms, void* start, void* end) {
    if (!ms || !start || !end) return CUDA_ERROR_INVALID_VALUE;
    const Event* a = static_cast<Event*>(start);
    const Event* b = static_cast<Event*>(end);
    if (!a->recorded || !b->recorded) return fail(CUDA_ERROR_INVALID_HANDLE, "cuEventElapsedTime of an event never recorded");
    if (!a->timing || !b->timing)
        return fail(CUDA_ERROR_INVALID_HANDLE, "cuEventElapsedTime of an event made with CU_EVENT_DISABLE_TIMING");
    *ms = std::chrono::duration<float, std::milli>(b->at - a->at).count();
    return CUDA_SUCCESS;
}

// ---- graphs ----------------------------------------------------------------------------------------

API CUresult cuStreamBeginCapture_v2(void* s, int mode) {
    NEED_CONTEXT;
    LOCKED;
    (void)mode;
    if (!s) return fail(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, "capture of the legacy default stream");
    if (stream(s)->capture) return fail(CUDA_ERROR_INVALID_VALUE, "the stream is being captured already");
    stream(s)->capture = new Graph();
    return CUDA_SUCCESS;
}

API CUresult cuStreamEndCapture(void* s, void** graph) {
    LOCKED;
    if (!s || !graph) return CUDA_ERROR_INVALID_VALUE;
    Graph* g = stream(s)->capture;
    if (!g) return fail(CUDA_ERROR_INVALID_VALUE, "cuStreamEndCapture on a stream that is not being captured");
    stream(s)->capture = nullptr;
    *graph = g;
    return CUDA_SUCCESS;
}

API CUresult cuStreamIsCapturing(void* s, int* status) {
    LOCKED;
    if (!status) return CUDA_ERROR_INVALID_VALUE;
    *status = s && stream(s)->capture ? 1 : 0;
    return CUDA_SUCCESS;
}

API CUresult cuGraphInstantiateWithFlags(void** exec, void* graph, unsigned long long flags) {
    NEED_CONTEXT;
    LOCKED;
    (void)flags;
    if (!exec || !graph) return CUDA_ERROR_INVALID_VALUE;
    *exec = new Graph(*static_cast<Graph*>(graph));
    return CUDA_SUCCESS;
}

API CUresult cuGraphLaunch(void* exec, void* s) {
    NEED_CONTEXT;
    LOCKED;
    if (!exec) return CUDA_ERROR_INVALID_HANDLE;
    if (s && stream(s)->capture) return fail(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, "a graph launched into a stream being captured");
    g_graphLaunches++;
    for (const Node& n : static_cast<Graph*>(exec)->nodes) {
        CUresult r = execute(n);
        if (r != CUDA_SUCCESS) return r;
    }
    return CUDA_SUCCESS;
}

API CUresult cuGraphDestroy(void* graph) {
    if (!graph) return CUDA_ERROR_INVALID_VALUE;
    delete static_cast<Graph*>(graph);
    return CUDA_SUCCESS;
}

API CUresult cuGraphExecDestroy(void* exec) {
    if (!exec) return CUDA_ERROR_INVALID_VALUE;
    delete static_cast<Graph*>(exec);
    return CUDA_SUCCESS;
}

// ---- modules and launches ---------------------------------------------------------------------------

// The kernels are compiled into this library; the image (a fatbin, cubin or PTX for the real
// driver) is checked for being one and otherwise ignored.
API CUresult cuModuleLoadData(void** module, const void* image) {
    NEED_CONTEXT;
    LOCKED;
    NEED_INIT;
    if (!module || !image) return CUDA_ERROR_INVALID_VALUE;
    const unsigned char* b = static_cast<const unsigned char*>(image);
    const bool fatbin = b[0] == 0x50 && b[1] == 0xed && b[2] == 0x55 && b[3] == 0xba;
    const bool elf = b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F';
    const bool ptx = std::strncmp(reinterpret_cast<const char*>(b), "//", 2) == 0 || std::strncmp(reinterpret_cast<const char*>(b), ".version", 8) == 0;
    if (!fatbin && !elf && !ptx) return fail(CUDA_ERROR_INVALID_IMAGE, "the module image is not a fatbin, cubin or PTX");
    *module = new Module();
    return CUDA_SUCCESS;
}

API CUresult cuModuleLoadDataEx(void** module, const void* image, unsigned int n, void* options, void** values) {
    NEED_CONTEXT;
    (void)n;
    (void)options;
    (void)values;
    return cuModuleLoadData(module, image);
}

API CUresult cuModuleUnload(void* module) {
    if (!module) return CUDA_ERROR_INVALID_HANDLE;
    delete static_cast<Module*>(module);
    return CUDA_SUCCESS;
}

API CUresult cuModuleGetFunction(void** function, void* module, const char* name) {
    NEED_CONTEXT;
    if (!function || !module || !name) return CUDA_ERROR_INVALID_VALUE;
    for (int i = 0; i < nfn_emu::g_kernelCount; i++)
        if (std::strcmp(nfn_emu::g_kernels[i].name, name) == 0) {
            *function = const_cast<KernelEntry*>(&nfn_emu::g_kernels[i]);
            return CUDA_SUCCESS;
        }
    return fail(CUDA_ERROR_NOT_FOUND, "kernel %s is not in the emulated module", name);
}

API CUresult cuLaunchKernel(void* function, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by,
                            unsigned int bz, unsigned int sharedBytes, void* s, void** params, void** extra) {
    NEED_CONTEXT;
    LOCKED;
    if (!function) return CUDA_ERROR_INVALID_HANDLE;
    Node n{Node::KERNEL};
    n.kernel = static_cast<const KernelEntry*>(function);
    n.grid = {gx, gy, gz};
    n.block = {bx, by, bz};
    if (gx == 0 || gy == 0 || gz == 0 || gx > 2147483647u || gy > 65535 || gz > 65535)
        return fail(CUDA_ERROR_INVALID_VALUE, "%s: grid out of range", shape(n).c_str());
    if (bx == 0 || by == 0 || bz == 0 || (unsigned long long)bx * by * bz > 1024 || bz > 64)
        return fail(CUDA_ERROR_INVALID_VALUE, "%s: block out of range", shape(n).c_str());
    // A kernel compiled with __launch_bounds__(N) cannot start blocks of more than N threads: the
    // compiler sized its registers for N, and the driver refuses the launch.
    if (n.kernel->maxThreads > 0 && (unsigned long long)bx * by * bz > (unsigned long long)n.kernel->maxThreads)
        return fail(CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, "%s: %llu threads a block, more than its __launch_bounds__(%d)", shape(n).c_str(),
                    (unsigned long long)bx * by * bz, n.kernel->maxThreads);
    if (sharedBytes != 0)
        return fail(CUDA_ERROR_NOT_SUPPORTED, "%s: %u bytes of dynamic shared memory: not emulated", shape(n).c_str(), sharedBytes);
    if (extra) return fail(CUDA_ERROR_NOT_SUPPORTED, "%s: the extra launch argument is not emulated", shape(n).c_str());
    if (n.kernel->nparams > 0 && !params) return fail(CUDA_ERROR_INVALID_VALUE, "%s: kernelParams is null", shape(n).c_str());
    CUresult r = check_arguments(n, params);
    if (r != CUDA_SUCCESS) return r;
    if (s && stream(s)->capture) {
        pack(n, params);
        stream(s)->capture->nodes.push_back(std::move(n));
        return CUDA_SUCCESS;
    }
    return execute_kernel(n, params);
}

// ---- errors -------------------------------------------------------------------------------------------

API CUresult cuGetErrorName(CUresult error, const char** name) {
    if (!name) return CUDA_ERROR_INVALID_VALUE;
    switch (error) {
        case CUDA_SUCCESS: *name = "CUDA_SUCCESS"; break;
        case CUDA_ERROR_INVALID_VALUE: *name = "CUDA_ERROR_INVALID_VALUE"; break;
        case CUDA_ERROR_OUT_OF_MEMORY: *name = "CUDA_ERROR_OUT_OF_MEMORY"; break;
        case CUDA_ERROR_NOT_INITIALIZED: *name = "CUDA_ERROR_NOT_INITIALIZED"; break;
        case CUDA_ERROR_ILLEGAL_ADDRESS: *name = "CUDA_ERROR_ILLEGAL_ADDRESS"; break;
        case CUDA_ERROR_LAUNCH_FAILED: *name = "CUDA_ERROR_LAUNCH_FAILED"; break;
        case CUDA_ERROR_NOT_SUPPORTED: *name = "CUDA_ERROR_NOT_SUPPORTED"; break;
        default: *name = "CUDA_ERROR_UNKNOWN"; break;
    }
    return CUDA_SUCCESS;
}

API CUresult cuGetErrorString(CUresult error, const char** text) {
    if (!text) return CUDA_ERROR_INVALID_VALUE;
    if (!g_lastError.empty() && error != CUDA_SUCCESS) {
        *text = g_lastError.c_str();
        return CUDA_SUCCESS;
    }
    return cuGetErrorName(error, text);
}

}  // extern "C"

// Every other driver entry point JCuda binds answers CUDA_ERROR_NOT_SUPPORTED (stubs.cc,
// generated by native/build-cuda-emu.sh from JCuda's native library), through this.
extern "C" __attribute__((visibility("hidden"))) CUresult nfn_emu_not_supported(const char* name) {
    LOCKED;
    return fail(CUDA_ERROR_NOT_SUPPORTED, "%s is not emulated", name);
}
