// The host's side: the host program has a log_init of its own, and is linked -rdynamic (its
// plugins call back into it), so its log_init is in its dynamic symbol table, searched first.
extern "C" int log_init() { return 1; }
