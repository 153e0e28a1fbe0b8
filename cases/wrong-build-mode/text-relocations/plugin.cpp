// Scenario: objects compiled without -fPIC (-fno-pic -mcmodel=large) forced into a shared object
// with -z notext. The loader will load it, writing into its code pages (DT_TEXTREL).
int dldoctor_case_counter = 41;

extern "C" int dldoctor_case_answer() { return ++dldoctor_case_counter; }
