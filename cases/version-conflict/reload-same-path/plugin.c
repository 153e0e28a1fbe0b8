// Scenario: the plugin of a host that reloads it, built twice: build 1 returns 1, build 2 returns 2
// (-DPLUGIN_BUILD). The loader maps whichever file it opens; what it opens is the host's story.
int dldoctor_case_answer(void) { return PLUGIN_BUILD; }
