// The plugin: found by its bare name, libplug.so, in plugins/ beside the host.
extern "C" int dldoctor_case_answer() { return 42; }
