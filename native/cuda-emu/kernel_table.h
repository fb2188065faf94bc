// The launch table's entries: for a kernel F with parameters A..., a trampoline that calls F
// with the values kernelParams points to, and the size and pointer-ness of each parameter, all
// deduced by the compiler from F's own declaration (no parameter list is written by hand).
#pragma once
#include <cstddef>
#include <type_traits>
#include <utility>

#include "emu.h"

namespace nfn_emu {

template <auto F>
struct KernelInfo;

template <typename... A, void (*F)(A...)>
struct KernelInfo<F> {
    template <size_t... I>
    static void call(void** p, std::index_sequence<I...>) {
        F(*static_cast<A*>(p[I])...);
    }
    static void invoke(void** p) { call(p, std::index_sequence_for<A...>{}); }
    static constexpr int count = sizeof...(A);
    static constexpr size_t sizes[sizeof...(A) + 1] = {sizeof(A)..., 0};
    static constexpr bool pointers[sizeof...(A) + 1] = {std::is_pointer_v<A>..., false};
};

}  // namespace nfn_emu

// bound: the kernel's __launch_bounds__ maximum of threads per block, 0 where it has none.
#define NFN_EMU_KERNEL(name, bound)                                                                              \
    {                                                                                                            \
#name, &::nfn_emu::KernelInfo<&name>::invoke, ::nfn_emu::KernelInfo<&name>::count,                       \
            ::nfn_emu::KernelInfo<&name>::sizes, ::nfn_emu::KernelInfo<&name>::pointers, (bound)                 \
    }
