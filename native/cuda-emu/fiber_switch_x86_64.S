// Fiber context switch for x86-64 System V: saves the callee-saved registers on the current
// stack, stores the stack pointer in *from, and resumes the fiber whose stack pointer is `to`.
// The SSE and x87 control words are not switched: no kernel changes them. A fresh fiber's stack is laid out by
// nfn_emu_fiber_prepare (scheduler.cc) so that this returns into nfn_emu_fiber_entry.
//
//   void nfn_emu_switch(void** from, void* to);
    .text
    .globl nfn_emu_switch
    .hidden nfn_emu_switch
    .type nfn_emu_switch, @function
nfn_emu_switch:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .cfi_endproc
    .size nfn_emu_switch, .-nfn_emu_switch

// First code a fiber runs: its argument was placed in r12; calls nfn_emu_fiber_main(arg) on a
// 16-byte aligned stack. That function never returns (a finished fiber switches away for good).
    .globl nfn_emu_fiber_entry
    .hidden nfn_emu_fiber_entry
    .type nfn_emu_fiber_entry, @function
nfn_emu_fiber_entry:
    .cfi_startproc
    .cfi_undefined rip
    movq %r12, %rdi
    andq $-16, %rsp
    call nfn_emu_fiber_main
    ud2
    .cfi_endproc
    .size nfn_emu_fiber_entry, .-nfn_emu_fiber_entry

    .section .note.GNU-stack,"",@progbits
