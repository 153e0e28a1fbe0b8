// Scenario: the plugin sits on a file system mounted noexec (/tmp, /home or a USB stick often
// are). It is readable, so open succeeds; mmap(PROT_EXEC) fails: "failed to map segment".
extern "C" int dldoctor_case_answer() { return 42; }
