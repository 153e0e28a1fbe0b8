// Scenario: a plugin built twice: build 1 returns 1 and has 256 KiB more code than build 2, which
// returns 2 (-DPLUGIN_BUILD): build 1's dldoctor_case_answer lies past the end of build 2's file.
// The loader maps the file, not a copy: when cp rewrites it in place, build 1's pages are read
// again from build 2's bytes, and a page past its end is SIGBUS.
#if PLUGIN_BUILD == 1
// Code build 2 no longer has (here padding, in .text.unlikely, which the linker places before
// .text): it puts build 1's dldoctor_case_answer at an offset past 256 KiB.
__attribute__((cold, used)) void build_1_only(void) { __asm__ volatile(".skip 0x40000, 0xcc"); }
#endif

int dldoctor_case_answer(void) { return PLUGIN_BUILD; }
