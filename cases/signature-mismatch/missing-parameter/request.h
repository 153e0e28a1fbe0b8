// The host's work, as a pair of longs: a struct of two INTEGER eightbytes, returned in %rax and
// %rdx (System V x86-64). next_request is in its own file so that the compiler cannot see its
// result when it compiles the call to scale.
#pragma once

struct request {
  long value;
  long factor;
};

request next_request();
