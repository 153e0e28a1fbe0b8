// Scenario: plugin.so (RUNPATH $ORIGIN/new) uses dep_new_feature of libdep.so, but
// LD_LIBRARY_PATH names old/, where an older libdep.so lacks it. LD_LIBRARY_PATH is searched
// before RUNPATH, so the loader takes the old copy: "./plugin.so: undefined symbol:
// dep_new_feature".
extern "C" int dep_value();
extern "C" int dep_new_feature();

extern "C" int dldoctor_case_answer() { return dep_value() + dep_new_feature(); }
