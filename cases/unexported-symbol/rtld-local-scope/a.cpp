// Plugin A: the host opens it first, with RTLD_LOCAL.
extern "C" int dldoctor_a_value() { return 40; }
