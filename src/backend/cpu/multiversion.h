// SGL_MULTIVERSION: compile a function for AVX-512 (x86-64-v4), AVX2 (x86-64-v3) and
// baseline x86-64; the loader picks the best clone for the CPU it runs on (GCC only;
// elsewhere the function is compiled once for the baseline).
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SGL_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SGL_MULTIVERSION
#endif
