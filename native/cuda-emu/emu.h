// The emulator's runtime, as seen by the kernels (through cuda_device.h) and by the driver
// (driver.cc): the block scheduler that runs a block's threads as fibers, and the state a kernel
// reads through threadIdx, blockIdx, blockDim and gridDim.
//
// One launch runs at a time (the driver holds one lock around every call), so this state is
// plain globals: no thread-local lookups on every threadIdx.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace nfn_emu {

struct Dim3u {
    unsigned x, y, z;
};

// A warp-level exchange a fiber waits in: the scheduler completes it once every live lane of
// the warp has arrived, writing each lane's result before any lane resumes.
enum class WarpOp : uint8_t { SYNC, SHFL_XOR, BALLOT, ANY, ALL };

struct Fiber {
    void* sp = nullptr;   // saved stack pointer while switched out
    Dim3u idx{};          // threadIdx
    int linear = 0;       // x + y * bx + z * bx * by: lane = linear % 32, warp = linear / 32
    int barriers = 0;     // __syncthreads passed
    enum State : uint8_t { RUNNABLE, AT_BARRIER, AT_WARP, DONE } state = RUNNABLE;
    WarpOp op = WarpOp::SYNC;
    unsigned mask = 0;
    int arg = 0;
    uint64_t value = 0, result = 0;
};

// What a kernel reads: the current fiber and the launch's geometry.
extern Fiber* g_fiber;
extern Dim3u g_blockIdx, g_blockDim, g_gridDim;

// Called by the device-side API from inside a fiber.
void block_barrier();
uint64_t warp_op(WarpOp op, unsigned mask, uint64_t value, int arg);
[[noreturn]] void device_trap(const char* what);

// The order in which the runnable fibers of a block run in each barrier interval.
enum class Schedule : uint8_t { FORWARD, REVERSE, SHUFFLE };

// One kernel of the emulated module: its name and a trampoline that unpacks cuLaunchKernel's
// kernelParams (an array of pointers to the argument values) into a call of the kernel.
struct KernelEntry {
    const char* name;
    void (*invoke)(void** params);
    int nparams;
    const size_t* sizes;     // per parameter, bytes
    const bool* isPointer;   // per parameter, whether it is a device pointer
    int maxThreads;          // its __launch_bounds__ maximum of threads per block; 0: none given
};

// Every kernel compiled into this library (kernels.cc, generated from kernels/*.cu).
extern const KernelEntry g_kernels[];
extern const int g_kernelCount;

// Runs every block of a launch; returns false with a message in *error on a fault (a deadlock
// at a barrier, a warp exchange with exited lanes, a trap).
bool run_grid(const KernelEntry& k, Dim3u grid, Dim3u block, void** params, Schedule schedule, uint64_t seed,
              uint32_t sharedPoison, bool poisonEveryBlock, std::string* error);

}  // namespace nfn_emu
