// Scenario: plugin B uses dldoctor_a_value of plugin A without being linked against it; the host
// opened A with RTLD_LOCAL, so A's symbols serve nobody else. The loader refuses B:
// "./libb.so: undefined symbol: dldoctor_a_value".
extern "C" int dldoctor_a_value();

extern "C" int dldoctor_case_answer() { return dldoctor_a_value() + 2; }
