// The block scheduler: runs the threads of a block as fibers on the calling thread, one at a
// time, each until it finishes or waits at a barrier (__syncthreads) or a warp exchange; then
// completes whatever barrier or exchange every live participant has reached and runs the next
// interval. The order of the fibers within an interval, and of the blocks within the grid, is
// the schedule: forward, reverse, or shuffled with a seed (the race finder compares them).
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "emu.h"

#ifdef NFN_EMU_ASAN
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>
#endif

extern "C" void nfn_emu_switch(void** from, void* to);
extern "C" void nfn_emu_fiber_entry();
// The bounds of the section that holds every __shared__ variable (cuda_device.h), from the linker.
extern "C" char __start_nfn_emu_shared[] __attribute__((weak, visibility("hidden")));
extern "C" char __stop_nfn_emu_shared[] __attribute__((weak, visibility("hidden")));

namespace nfn_emu {

Fiber* g_fiber = nullptr;
Dim3u g_blockIdx{}, g_blockDim{}, g_gridDim{};

namespace {

// Per fiber: a guard page (no access: a stack overflow faults instead of corrupting the next
// stack) under 256 KiB of stack.
constexpr size_t STACK_BYTES = 256 * 1024;
constexpr size_t GUARD_BYTES = 4096;
constexpr size_t SLOT_BYTES = STACK_BYTES + GUARD_BYTES;

char* g_stacks = nullptr;
int g_stackCount = 0;
std::vector<Fiber> g_fibers;
void* g_schedulerSp = nullptr;
const KernelEntry* g_kernel = nullptr;
void** g_params = nullptr;
bool g_trapped = false;
std::string g_trap;

bool ensure_stacks(int n, std::string* error) {
    if (n <= g_stackCount) return true;
    if (g_stacks) munmap(g_stacks, g_stackCount * SLOT_BYTES);
    void* p = mmap(nullptr, n * SLOT_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        g_stacks = nullptr;
        g_stackCount = 0;
        *error = "cannot map " + std::to_string(n) + " fiber stacks";
        return false;
    }
    g_stacks = static_cast<char*>(p);
    for (int i = 0; i < n; i++) mprotect(g_stacks + i * SLOT_BYTES, GUARD_BYTES, PROT_NONE);
    g_stackCount = n;
    return true;
}

// Lays out a fresh stack the way nfn_emu_switch leaves a switched-out one, so that switching to
// it "returns" into nfn_emu_fiber_entry with the fiber in r12.
void* prepare_stack(int slot, Fiber* f) {
    char* top = g_stacks + slot * SLOT_BYTES + SLOT_BYTES;
    uint64_t* sp = reinterpret_cast<uint64_t*>(top) - 8;
    sp[0] = sp[1] = sp[2] = 0;                                   // r15, r14, r13
    sp[3] = reinterpret_cast<uint64_t>(f);                       // r12: the fiber
    sp[4] = sp[5] = 0;                                           // rbx, rbp
    sp[6] = reinterpret_cast<uint64_t>(&nfn_emu_fiber_entry);    // return address
    return sp;
}

// Under AddressSanitizer (the build's --asan variant) every switch between stacks is announced,
// so that it tracks the fibers' stacks instead of reporting them as overflows.
#ifdef NFN_EMU_ASAN
void* g_schedulerStackBottom = nullptr;
size_t g_schedulerStackSize = 0;

void switch_to_fiber(Fiber& f, int slot) {
    void* fake = nullptr;
    __sanitizer_start_switch_fiber(&fake, g_stacks + slot * SLOT_BYTES + GUARD_BYTES, STACK_BYTES);
    nfn_emu_switch(&g_schedulerSp, f.sp);
    __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
}

void switch_to_scheduler(void** save, bool finished) {
    void* fake = nullptr;
    __sanitizer_start_switch_fiber(finished ? nullptr : &fake, g_schedulerStackBottom, g_schedulerStackSize);
    nfn_emu_switch(save, g_schedulerSp);
    __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
}
#else
void switch_to_fiber(Fiber& f, int) { nfn_emu_switch(&g_schedulerSp, f.sp); }
void switch_to_scheduler(void** save, bool) { nfn_emu_switch(save, g_schedulerSp); }
#endif

void yield_to_scheduler() { switch_to_scheduler(&g_fiber->sp, false); }

std::string where(const Fiber& f) {
    char buf[160];
    snprintf(buf, sizeof buf, "block (%u, %u, %u), thread (%u, %u, %u)", g_blockIdx.x, g_blockIdx.y, g_blockIdx.z, f.idx.x, f.idx.y,
             f.idx.z);
    return buf;
}

const char* op_name(WarpOp op) {
    switch (op) {
        case WarpOp::SYNC: return "__syncwarp/wmma";
        case WarpOp::SHFL_XOR: return "__shfl_xor_sync";
        case WarpOp::BALLOT: return "__ballot_sync";
        case WarpOp::ANY: return "__any_sync";
        case WarpOp::ALL: return "__all_sync";
    }
    return "?";
}

// Completes the warp exchange that every live lane of [lo, hi) waits in; false with a message
// when the lanes disagree or the mask names a lane that has exited.
bool complete_warp(int lo, int hi, std::string* error) {
    const Fiber& first = g_fibers[lo];
    const Fiber* lead = nullptr;
    for (int i = lo; i < hi; i++)
        if (g_fibers[i].state == Fiber::AT_WARP) {
            lead = &g_fibers[i];
            break;
        }
    (void)first;
    uint64_t bits = 0;
    for (int i = lo; i < hi; i++) {
        const Fiber& f = g_fibers[i];
        const int lane = i - lo;
        if (f.state == Fiber::DONE) {
            if (lead->mask >> lane & 1u) {
                *error = std::string(op_name(lead->op)) + " at " + where(*lead) + " names lane " + std::to_string(lane) +
                         ", which has exited (undefined on the GPU)";
                return false;
            }
            continue;
        }
        if (f.op != lead->op || f.mask != lead->mask) {
            *error = "lanes of one warp wait in different exchanges: " + std::string(op_name(lead->op)) + " at " + where(*lead) + ", " +
                     op_name(f.op) + " at " + where(f);
            return false;
        }
        if (f.value) bits |= 1ull << lane;
    }
    for (int i = lo; i < hi; i++) {
        Fiber& f = g_fibers[i];
        if (f.state != Fiber::AT_WARP) continue;
        const int lane = i - lo;
        switch (f.op) {
            case WarpOp::SYNC: f.result = 0; break;
            case WarpOp::SHFL_XOR: {
                const int src = lane ^ (f.arg & 31);
                f.result = lo + src < hi && g_fibers[lo + src].state != Fiber::DONE ? g_fibers[lo + src].value : f.value;
                break;
            }
            case WarpOp::BALLOT: f.result = bits & lead->mask; break;
            case WarpOp::ANY: f.result = (bits & lead->mask) != 0; break;
            case WarpOp::ALL: {
                uint64_t live = 0;
                for (int j = lo; j < hi; j++)
                    if (g_fibers[j].state != Fiber::DONE) live |= 1ull << (j - lo);
                f.result = (bits & lead->mask & live) == (lead->mask & live);
                break;
            }
        }
        f.state = Fiber::RUNNABLE;
    }
    return true;
}

std::string waiting_summary(int n) {
    int barrier = 0, warp = 0, done = 0;
    const Fiber* b = nullptr;
    const Fiber* w = nullptr;
    for (int i = 0; i < n; i++) {
        const Fiber& f = g_fibers[i];
        if (f.state == Fiber::AT_BARRIER) barrier++, b = b ? b : &f;
        else if (f.state == Fiber::AT_WARP) warp++, w = w ? w : &f;
        else if (f.state == Fiber::DONE) done++;
    }
    std::string s = std::to_string(barrier) + " threads at __syncthreads";
    if (b) s += " (first: " + where(*b) + ")";
    s += ", " + std::to_string(warp) + " in a warp exchange";
    if (w) s += " (first: " + std::string(op_name(w->op)) + " at " + where(*w) + ")";
    s += ", " + std::to_string(done) + " exited";
    return s;
}

void fill_poison(uint32_t pattern) {
    char* lo = __start_nfn_emu_shared;
    char* hi = __stop_nfn_emu_shared;
    if (!lo || !hi) return;
    const size_t n = (size_t)(hi - lo) / 4;
    uint32_t* p = reinterpret_cast<uint32_t*>(lo);
    for (size_t i = 0; i < n; i++) p[i] = pattern;
}

// A block, from fresh fibers; its shared memory is poisoned first when `poison` is set.
bool run_block(int n, Schedule schedule, std::mt19937_64& rng, const uint32_t* poison, std::string* error) {
    if (poison) fill_poison(*poison);
    const unsigned bx = g_blockDim.x, by = g_blockDim.y;
    for (int i = 0; i < n; i++) {
        Fiber& f = g_fibers[i];
        f = Fiber{};
        f.idx = {i % bx, (i / bx) % by, i / (bx * by)};
        f.linear = i;
        f.sp = prepare_stack(i, &f);
    }
    std::vector<int> order(n);
    for (;;) {
        for (int i = 0; i < n; i++) order[i] = schedule == Schedule::REVERSE ? n - 1 - i : i;
        if (schedule == Schedule::SHUFFLE) std::shuffle(order.begin(), order.end(), rng);
        for (int i : order) {
            Fiber& f = g_fibers[i];
            if (f.state != Fiber::RUNNABLE) continue;
            g_fiber = &f;
            switch_to_fiber(f, i);
            if (g_trapped) {
                *error = g_trap;
                return false;
            }
        }
        bool released = false;
        int live = 0, atBarrier = 0;
        for (int lo = 0; lo < n; lo += 32) {
            const int hi = std::min(n, lo + 32);
            int liveW = 0, atWarp = 0;
            for (int i = lo; i < hi; i++) {
                const Fiber::State s = g_fibers[i].state;
                if (s != Fiber::DONE) liveW++;
                if (s == Fiber::AT_WARP) atWarp++;
                if (s == Fiber::AT_BARRIER) atBarrier++;
            }
            live += liveW;
            if (atWarp > 0 && atWarp == liveW) {
                if (!complete_warp(lo, hi, error)) return false;
                released = true;
            }
        }
        if (released) continue;
        if (live == 0) return true;
        if (atBarrier == live) {
            // Every thread must reach every barrier: one that exited before this one means the
            // barrier sits in code not every thread runs (undefined on the GPU).
            int generation = 0;
            const Fiber* waiting = nullptr;
            for (int i = 0; i < n && !waiting; i++)
                if (g_fibers[i].state == Fiber::AT_BARRIER) waiting = &g_fibers[i], generation = g_fibers[i].barriers;
            for (int i = 0; i < n; i++) {
                const Fiber& f = g_fibers[i];
                if (f.state == Fiber::DONE && f.barriers <= generation) {
                    *error = "divergent __syncthreads: " + std::to_string(atBarrier) + " threads wait at barrier " +
                             std::to_string(generation + 1) + " (first: " + where(*waiting) + ") that " + where(f) +
                             " exited before reaching";
                    return false;
                }
            }
            for (int i = 0; i < n; i++)
                if (g_fibers[i].state == Fiber::AT_BARRIER) {
                    g_fibers[i].state = Fiber::RUNNABLE;
                    g_fibers[i].barriers++;
                }
            continue;
        }
        *error = "deadlock: " + waiting_summary(n);
        return false;
    }
}

}  // namespace

void block_barrier() {
    g_fiber->state = Fiber::AT_BARRIER;
    yield_to_scheduler();
}

uint64_t warp_op(WarpOp op, unsigned mask, uint64_t value, int arg) {
    Fiber* f = g_fiber;
    f->op = op;
    f->mask = mask;
    f->value = value;
    f->arg = arg;
    f->state = Fiber::AT_WARP;
    yield_to_scheduler();
    return f->result;
}

void device_trap(const char* what) {
    g_trapped = true;
    g_trap = std::string(what) + " at " + where(*g_fiber);
    g_fiber->state = Fiber::DONE;
    switch_to_scheduler(&g_fiber->sp, true);
    __builtin_unreachable();
}

bool run_grid(const KernelEntry& k, Dim3u grid, Dim3u block, void** params, Schedule schedule, uint64_t seed, uint32_t sharedPoison,
              bool poisonEveryBlock, std::string* error) {
    const long long threads = (long long)block.x * block.y * block.z;
    if (threads <= 0 || threads > 1024) {
        *error = "block of " + std::to_string(threads) + " threads (1 to 1024)";
        return false;
    }
    const int n = (int)threads;
    if (!ensure_stacks(n, error)) return false;
    if ((int)g_fibers.size() < n) g_fibers.resize(n);
    g_kernel = &k;
    g_params = params;
    g_trapped = false;
    g_gridDim = grid;
    g_blockDim = block;
#ifdef NFN_EMU_ASAN
    {  // the calling thread's stack, for the switches back to it
        pthread_attr_t attr;
        pthread_getattr_np(pthread_self(), &attr);
        pthread_attr_getstack(&attr, &g_schedulerStackBottom, &g_schedulerStackSize);
        pthread_attr_destroy(&attr);
    }
#endif
    std::mt19937_64 rng(seed);
    // Shared memory is poisoned at the launch's start, and before every block when the launch is
    // one of the race finder's runs (poisonEveryBlock): a block that reads what an earlier block
    // left there then differs between the runs.
    fill_poison(sharedPoison);
    const unsigned long long blocks = (unsigned long long)grid.x * grid.y * grid.z;
    std::vector<unsigned long long> blockOrder;
    if (schedule == Schedule::SHUFFLE && blocks > 1 && blocks <= (1ull << 24)) {
        blockOrder.resize(blocks);
        for (unsigned long long i = 0; i < blocks; i++) blockOrder[i] = i;
        std::shuffle(blockOrder.begin(), blockOrder.end(), rng);
    }
    for (unsigned long long i = 0; i < blocks; i++) {
        unsigned long long b = schedule == Schedule::REVERSE ? blocks - 1 - i : blockOrder.empty() ? i : blockOrder[i];
        g_blockIdx = {(unsigned)(b % grid.x), (unsigned)(b / grid.x % grid.y), (unsigned)(b / ((unsigned long long)grid.x * grid.y))};
        if (!run_block(n, schedule, rng, poisonEveryBlock ? &sharedPoison : nullptr, error)) {
            g_fiber = nullptr;
            return false;
        }
    }
    g_fiber = nullptr;
    return true;
}

}  // namespace nfn_emu

extern "C" __attribute__((visibility("hidden"))) void nfn_emu_fiber_main(nfn_emu::Fiber* f) {
#ifdef NFN_EMU_ASAN
    __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);  // the first switch into this fiber
#endif
    nfn_emu::g_kernel->invoke(nfn_emu::g_params);
    f->state = nfn_emu::Fiber::DONE;
    nfn_emu::switch_to_scheduler(&f->sp, true);
    __builtin_unreachable();
}
