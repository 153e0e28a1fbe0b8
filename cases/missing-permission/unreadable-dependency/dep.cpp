// Scenario: the library the plugin needs (DT_NEEDED libpermdep.so, found through the plugin's
// RUNPATH $ORIGIN) has mode 0600. The loader passes over it and says "No such file or directory".
extern "C" int permdep_answer() { return 42; }
