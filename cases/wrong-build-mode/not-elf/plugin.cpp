// Scenario: the path the host opens holds no library: an empty file (an interrupted copy), a
// placeholder text file, or the directory Meson keeps the plugin's objects in (plugin.so.p/).
// The loader will say "file too short" (twice) and "cannot read file data: Is a directory".
extern "C" int dldoctor_case_answer() { return 42; }
