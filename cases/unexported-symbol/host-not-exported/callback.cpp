// The host's side of the callback: a function plugins call back into.
extern "C" int dldoctor_host_base() { return 40; }
