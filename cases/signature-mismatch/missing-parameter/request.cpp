// Scenario: where the host's work comes from (a queue or a file in a real host): value 21, factor
// 2; the result comes back in %rax (value) and %rdx (factor), and %rdx still holds 2 afterwards.
#include "request.h"

request next_request() { return {21, 2}; }
